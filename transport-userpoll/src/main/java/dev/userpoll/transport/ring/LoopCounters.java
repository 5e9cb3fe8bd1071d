package dev.userpoll.transport.ring;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What one event loop counts about itself: passes, deliveries, parks, and its kernel entries by reason. One per
 * loop, created with its ring source (which makes most of the entries) and shared with the loop's batch and
 * wakeup eventfd; the public face is {@code UserpollLoopStatistics}.
 * <p>Memory ordering: only the loop thread writes, and it writes each counter with an opaque store of its own
 * plain read plus one (no lock, no fence, no read-modify-write: on x86-64 and aarch64 an opaque store is an
 * ordinary store; opaque only rules out a torn {@code long} and a store the compiler keeps in a register).
 * Any thread reads with opaque loads: each counter is whole and moves forward, never backwards. Once per pass
 * the loop publishes the pass count with a release store ({@link #passCompleted()}); {@link #addTo} loads it
 * with acquire first, so every count a reader gets includes at least everything up to the end of that pass
 * (counts of the pass under way may be partly in). No snapshot is atomic across counters, and none needs to be:
 * they are rates to compare between two snapshots.
 */
public final class LoopCounters {
    /** Kernel entry to sleep: the ring source's park (epoll_pwait2, io_uring_enter GETEVENTS, the timerfd + wait). */
    public static final int PARK = 0;
    /** Kernel entry that submits batched socket operations without parking. */
    public static final int SUBMIT = 1;
    /** A wakeup's eventfd write (made by the waking thread, counted when the loop takes it) or the loop's read. */
    public static final int WAKEUP = 2;
    /** Registrations: epoll_ctl, io_uring submits of poll arms, re-arms and removals. */
    public static final int REGISTER = 3;
    /** Non-blocking readiness fetches: epoll_wait(0) after a full batch, io_uring overflow and task-work flushes. */
    public static final int POLL = 4;
    /** How many entry reasons there are. */
    public static final int REASONS = 5;

    // Indexes into the snapshot array addTo() fills, after the REASONS kernel-entry counts.
    public static final int PASSES = REASONS;
    public static final int READY_EVENTS = REASONS + 1;
    public static final int COMPLETIONS = REASONS + 2;
    public static final int RETRIES = REASONS + 3;
    public static final int PARKS = REASONS + 4;
    public static final int WAKEUPS = REASONS + 5;
    public static final int OPERATIONS = REASONS + 6;
    public static final int OPERATION_SUBMITS = REASONS + 7;
    public static final int PARKING_SUBMITS = REASONS + 8;
    /** Length of the array {@link #addTo} fills. */
    public static final int COUNTS = REASONS + 9;

    private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(long[].class);

    /** Every counter, by the indexes above; the pass count is published with release, the others opaque. */
    private final long[] counts = new long[COUNTS];

    private void add(int index, long n) {
        COUNT.setOpaque(counts, index, counts[index] + n);
    }

    /** The loop entered the kernel once for {@code reason}. */
    public void entered(int reason) {
        add(reason, 1);
    }

    /** A pass is over: publishes every count made so far (release). */
    public void passCompleted() {
        COUNT.setRelease(counts, PASSES, counts[PASSES] + 1);
    }

    /** A ready event reached a channel. */
    public void readyEvent() {
        add(READY_EVENTS, 1);
    }

    /** A batched socket operation's completion reached its channel. */
    public void completion() {
        add(COMPLETIONS, 1);
    }

    /** A handle was served again from the user-space ready list (it stopped before EAGAIN). */
    public void retry() {
        add(RETRIES, 1);
    }

    /** The loop decided to sleep and asked its source to park (which may find work and return at once). */
    public void parked() {
        add(PARKS, 1);
    }

    /**
     * The loop took a wakeup another thread wrote into its eventfd: that write was a kernel entry made for the
     * loop ({@link #WAKEUP}).
     */
    public void wakeupTaken() {
        add(WAKEUPS, 1);
        add(WAKEUP, 1);
    }

    /** One kernel entry handed {@code operations} (> 0) batched socket operations over; {@code parked}: and slept. */
    public void operationsSubmitted(int operations, boolean parked) {
        add(OPERATIONS, operations);
        add(OPERATION_SUBMITS, 1);
        if (parked) {
            add(PARKING_SUBMITS, 1);
        }
    }

    /** One counter, as {@link #addTo} would give it (the index constants above). */
    public long get(int index) {
        return (long) COUNT.getOpaque(counts, index);
    }

    /** Every counter into {@code into} (length {@link #COUNTS}), added to what it holds; any thread. */
    public void addTo(long[] into) {
        // Acquire first: the counts read after it are at least those of the last published pass.
        into[PASSES] += (long) COUNT.getAcquire(counts, PASSES);
        for (int i = 0; i < COUNTS; i++) {
            if (i != PASSES) {
                into[i] += (long) COUNT.getOpaque(counts, i);
            }
        }
    }
}
