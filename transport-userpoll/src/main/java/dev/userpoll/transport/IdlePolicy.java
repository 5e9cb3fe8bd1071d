package dev.userpoll.transport;

import java.time.Duration;

/**
 * What an idle event loop does before it sleeps: spin on the ring for a while (plain loads, no system
 * call, so cheap to watch) and then park in the kernel. Spinning trades a core for latency; the
 * default is to park at once.
 */
public final class IdlePolicy {
    /** Park as soon as there is nothing to do. */
    public static final IdlePolicy PARK = new IdlePolicy(0);

    private final long spinNanos;

    private IdlePolicy(long spinNanos) {
        this.spinNanos = spinNanos;
    }

    /** Spin on the ring for up to {@code spin} before parking; zero means {@link #PARK}. */
    public static IdlePolicy spinThenPark(Duration spin) {
        long nanos = spin.toNanos();
        if (nanos < 0) {
            throw new IllegalArgumentException("negative spin: " + spin);
        }
        return nanos == 0 ? PARK : new IdlePolicy(nanos);
    }

    /** How long to spin before parking, in nanoseconds. */
    public long spinNanos() {
        return spinNanos;
    }

    @Override
    public String toString() {
        return spinNanos == 0 ? "park" : "spin " + spinNanos / 1000 + " us, then park";
    }
}
