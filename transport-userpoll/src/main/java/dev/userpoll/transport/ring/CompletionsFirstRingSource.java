package dev.userpoll.transport.ring;

/**
 * Keeps the order {@link RingSource#drain} promises, once for every source: the completions of the socket operations
 * a park submitted first, then readiness. {@link #drain} is final; a source supplies the two halves. Only the
 * completions that do not come in the readiness stream itself are {@link #completeParked}'s (those of a batch on a
 * ring of its own); a source whose readiness and completions share one CQ delivers both, in CQ order, from
 * {@link #drainReadiness}. Per drain, not per event: two calls on the source itself.
 */
abstract class CompletionsFirstRingSource implements RingSource {

    @Override
    public final int drain(ReadyHandler handler) {
        // First what a parking submit sent: the readiness that woke the park (an EPOLLOUT edge among it) may have
        // been observed while a send was in flight, and its channel must learn first how much of that send went out.
        int completed = completeParked();
        return completed + drainReadiness(handler);
    }

    /**
     * Delivers the completions of the operations the last park submitted, when they are not in the readiness stream
     * (a batch on a ring of its own); returns how many were delivered, 0 when there are none. Never blocks long:
     * they completed inside the parking call.
     */
    abstract int completeParked();

    /** Delivers every ready event (and the completions that share its stream) to {@code handler}; returns how many. */
    abstract int drainReadiness(ReadyHandler handler);
}
