package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The eventfd a ring source sleeps on to be woken from another thread: every source registers {@link #fd()}
 * in its own wait (an epoll item, a userpoll item, a multishot io_uring poll) and delegates the rest here.
 * <ul>
 *   <li>{@link #wakeup()}, any thread: at most one eventfd write per pending wakeup; while one is pending a
 *       further wakeup is one volatile load, no CAS and no system call.</li>
 *   <li>{@link #reset()} / {@link #consume()}, loop thread: takes the pending wakeup, so the next one writes.</li>
 *   <li>{@link #close()}, loop thread: once it returns no write can reach the fd number, even from a wakeup
 *       that had already decided to write, so a number the process reuses never gets a stray eventfd write.</li>
 * </ul>
 * <p>All of it is one int, changed only by atomic read-modify-writes (sequentially consistent): a
 * {@link #PENDING} bit, a {@link #CLOSED} bit, and above them the count of threads inside
 * {@code write(2)}. A writer enters by one CAS that requires both bits clear and sets {@code PENDING} and
 * adds itself, and leaves by an atomic decrement after {@code write(2)} has returned. {@code close()} sets
 * {@code CLOSED} with one atomic OR, then waits until the count is 0 before {@code close(2)}. The atomics on
 * one variable are totally ordered: a writer's entry either comes before the OR (close sees it counted and
 * waits for its exit, whose decrement follows the write in program order and releases it: the write
 * happens-before the close) or after it (the CAS sees {@code CLOSED} and fails, nothing is written).
 */
final class EventFdWaker implements AutoCloseable {
    /** A wakeup was written and the loop has not taken it yet: further wakeups need no write. */
    private static final int PENDING = 1;
    /** close() has begun: no writer may enter any more. */
    private static final int CLOSED = 2;
    /** One thread between its entry CAS and the end of its eventfd write (the count sits above the two bits). */
    private static final int WRITER = 4;

    private static final AtomicIntegerFieldUpdater<EventFdWaker> STATE =
            AtomicIntegerFieldUpdater.newUpdater(EventFdWaker.class, "state");

    private final int fd;
    private volatile int state;
    /** The loop's counters: each wakeup taken stands for one eventfd write; each read is the loop's own. */
    private final LoopCounters counters;

    private EventFdWaker(int fd, LoopCounters counters) {
        this.fd = fd;
        this.counters = counters;
    }

    /** A new non-blocking eventfd with nothing pending, counting in the loop's {@code counters}. */
    static EventFdWaker open(LoopCounters counters) throws IOException {
        return new EventFdWaker(Errno.check("eventfd", Native.eventFd()), counters);
    }

    /** The eventfd, for the owner to register in its wait; it polls readable after a {@link #wakeup()}. */
    int fd() {
        return fd;
    }

    /** Makes the eventfd readable unless a wakeup is already pending or the waker is closed; any thread. */
    void wakeup() {
        for (;;) {
            int s = state;
            // The volatile load decides first: while a wakeup is pending (the common case under load), no CAS.
            if ((s & (PENDING | CLOSED)) != 0) {
                return;
            }
            if (STATE.compareAndSet(this, s, s + PENDING + WRITER)) {
                break;
            }
            // Lost the CAS: another wakeup entered (the next load sees PENDING), close() began (CLOSED), or only
            // the count moved as an earlier writer left; then this wakeup must still be written: retry.
        }
        try {
            Native.eventFdWrite(fd, 1L);
        } finally {
            // Release (a volatile RMW): the write above happens-before a close() that sees the count drop.
            STATE.getAndAdd(this, -WRITER);
        }
    }

    /**
     * Takes the pending wakeup, if any, so that the next {@link #wakeup()} writes again; loop thread.
     * Does not read the eventfd: a source whose wait reports each write (multishot poll, a userpoll entry)
     * leaves the counter alone. Returns whether a wakeup was pending.
     */
    boolean reset() {
        for (;;) {
            int s = state;
            if ((s & PENDING) == 0) {
                return false;
            }
            // A CAS loop rather than a plain store: a writer may be leaving (its count changes) meanwhile.
            if (STATE.compareAndSet(this, s, s & ~PENDING)) {
                // Each PENDING was set by exactly one writer, which then wrote once: count that write here, on
                // the loop thread, rather than on the waking thread.
                counters.wakeupTaken();
                return true;
            }
        }
    }

    /**
     * The loop saw the eventfd's edge (an edge-triggered epoll item): reads the counter, then {@link #reset()}s.
     * In that order: a wakeup() that still finds PENDING set is covered by the edge taken now; one that finds it
     * clear writes again, which makes a new edge (a read after that write could swallow it unseen).
     */
    void consume() {
        counters.entered(LoopCounters.WAKEUP);
        Native.eventFdRead(fd);
        reset();
    }

    /**
     * Reads the counter without touching the pending state, for a source that is told of every write and only
     * needs the counter kept bounded; loop thread.
     */
    void clearCounter() {
        counters.entered(LoopCounters.WAKEUP);
        Native.eventFdRead(fd);
    }

    /**
     * Closes the eventfd once no {@link #wakeup()} is inside its write; later wakeups write nothing.
     * Idempotent. A writer holds the count for one non-blocking eventfd write, so the wait is that write, or
     * the rest of the writer's time slice if it was preempted inside.
     */
    @Override
    public void close() {
        int previous = STATE.getAndUpdate(this, s -> s | CLOSED);
        if ((previous & CLOSED) != 0) {
            return;
        }
        for (int spins = 0; state >= WRITER; spins++) {
            // Acquire (volatile load): seeing the count at 0 orders every writer's write before the close(2).
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Native.close(fd);
    }

    @Override
    public String toString() {
        int s = state;
        return "EventFdWaker(fd " + fd + ((s & PENDING) != 0 ? ", pending" : "")
                + ((s & CLOSED) != 0 ? ", closed" : "") + ')';
    }
}
