package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;

/**
 * Drives a batch that shares the io_uring source's ring ({@link IoUringSocketBatch#shared}; DESIGN.md 4b): every
 * submit of that ring goes through {@link #submit}, so the batch learns which of its operations are in flight; the
 * source's drain hands the ring's operation completions to {@link #complete}; a park with queued sends goes through
 * {@link #parkSubmitting}. The source keeps its poll arms, registrations and wakeup. Before {@link #open} (a loop
 * without batched I/O) it only submits. The counterpart of {@link OwnRingBatchDriver}, for a batch with a ring of its
 * own. Loop thread only.
 */
final class SharedRingBatchDriver {
    private final IoUringRing ring;
    private final LoopCounters counters;
    /** The loop spins on the ring: it submits its sends before it spins, never in a park. */
    private final boolean spinning;
    /** The loop's batched socket I/O in this ring, or null. */
    private IoUringSocketBatch batch;
    /** How long a park that submits queued sends may hold their completions back (µs); 0: no such park. */
    private int parkWindowMicros;

    SharedRingBatchDriver(IoUringRing ring, LoopCounters counters, boolean spinning) {
        this.ring = ring;
        this.counters = counters;
        this.spinning = spinning;
    }

    /** Opens the loop's batch in the ring: one ring and one enter per pass. */
    IoUringSocketBatch open(int entries, int parkWindowMicros) throws IOException {
        if (batch != null) {
            throw new IllegalStateException("this ring source already carries a socket batch");
        }
        // Half of the SQ, so that a pass's arms and re-arms still fit beside its socket operations.
        batch = IoUringSocketBatch.shared(ring, Math.min(entries, ring.sqCapacity() / 2), counters);
        this.parkWindowMicros = Math.max(0, parkWindowMicros);
        return batch;
    }

    /**
     * An operation's completion from the source's CQ, in CQ order with the poll arms' readiness: the sends a park
     * submitted complete inline, during the submit, so theirs precede any readiness posted after it (the order
     * {@link RingSource#drain} promises). Returns whether something was delivered. Per event: plain field loads.
     */
    boolean complete(long data, int res) {
        return batch != null && batch.complete(data, res);
    }

    /** Whether a CQE's operation word would be delivered (plain loads only). */
    boolean isAwaited(long data) {
        return batch != null && batch.isAwaited(data);
    }

    /** Operations queued and not yet submitted. */
    int queued() {
        return batch == null ? 0 : batch.queued();
    }

    /**
     * A park may submit queued sends and hold their completions back for the window: not a queued recv (its data
     * would wait for the window; it gets an enter of its own and is delivered at once), nor in a loop that spins
     * (it sends first).
     */
    boolean canParkWithQueuedIo() {
        return batch != null && parkWindowMicros > 0 && !spinning && batch.queuedRecvs() == 0;
    }

    /** Submits what the SQ holds; counted as a submit when batched operations go along, else as a registration. */
    int submit() {
        return submit(queued() != 0 ? LoopCounters.SUBMIT : LoopCounters.REGISTER);
    }

    /** Submits what the SQ holds, counting the enter for {@code reason}; the batch learns what the kernel took. */
    int submit(int reason) {
        int res = ring.submit(reason);
        if (batch != null) {
            batch.onSubmitted();
        }
        return res;
    }

    /**
     * The park's enter when sends are queued ({@link #queued()} != 0; the source published the SQ): submits them with
     * the source's arms. The queued sends complete inline, during the submit: it waits for one completion more than
     * that (readiness or a wakeup), but no longer than the window, which bounds how long their completions are held
     * back. A plain timeout, not the kernel's min-wait: it needs no particular kernel and cannot leave the loop asleep
     * with completions in its ring, whatever the kernel counts as arrived during the wait. Returns the enter's result.
     */
    int parkSubmitting(long timeoutNanos) {
        int inline = batch.queued();
        long window = parkWindowMicros * 1000L;
        int res = ring.enter(ring.sqPending(), inline + 1, Native.IORING_ENTER_GETEVENTS,
                timeoutNanos < 0 ? window : Math.min(timeoutNanos, window), LoopCounters.PARK);
        batch.onSubmitted(true);
        return res;
    }

    /** Closes the batch; its owners were closed first, which withdrew their operations. */
    void close() {
        if (batch != null) {
            batch.close();
        }
    }
}
