package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingSource;
import io.netty.channel.IoHandlerContext;
import io.netty.util.concurrent.ThreadAwareExecutor;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * How an idle loop waits and how another thread wakes it: spin on the ring (if the policy says so), then park in
 * the ring source; a wakeup costs a system call only while the loop is parked, at most one per idle period.
 * Once the loop has given its source up it parks its thread instead, so it still runs its tasks.
 */
final class LoopIdle {
    private static final int AWAKE = 0;
    /** Spinning on the ring: a waker only flips the state, no system call needed. */
    private static final int SPINNING = 1;
    /** About to park or parked: a waker must reach the kernel (or the parked thread). */
    private static final int PARKING = 2;

    private final ThreadAwareExecutor executor;
    private final RingSource source;
    private final IdlePolicy idlePolicy;
    /** AWAKE, SPINNING or PARKING: only PARKING makes {@link #wakeup()} do more than a plain store. */
    private final AtomicInteger state = new AtomicInteger(AWAKE);
    /** The loop thread once the source was given up: wakeups unpark it. */
    private volatile Thread parkedWithoutSource;

    LoopIdle(ThreadAwareExecutor executor, RingSource source, IdlePolicy idlePolicy) {
        this.executor = executor;
        this.source = source;
        this.idlePolicy = idlePolicy;
    }

    /** Spins (if the policy says so), then parks until an event, a wakeup or the next scheduled task. */
    void idle(IoHandlerContext context) throws IOException {
        // Publish the state before re-checking for tasks: a task added after this line calls wakeup(), which sees it.
        state.set(SPINNING);
        try {
            if (!context.canBlock()) {
                source.flush();
                return;
            }
            long spinNanos = idlePolicy.spinNanos();
            if (spinNanos > 0) {
                source.flush(); // what the last pass queued must be in the kernel before we watch for its events
                long spinDeadline = System.nanoTime() + spinNanos;
                do {
                    if (source.hasReady() || state.get() == AWAKE) {
                        return;
                    }
                    Thread.onSpinWait();
                } while (System.nanoTime() - spinDeadline < 0);
            }
            // From here a wakeup must reach the kernel; a wakeup that came first makes the CAS fail.
            if (state.compareAndSet(SPINNING, PARKING) && !source.hasReady()) {
                source.counters().parked();
                source.park(timeoutNanos(context));
            } else {
                source.flush();
            }
        } finally {
            state.set(AWAKE);
        }
    }

    /** After the source was given up: sleeps until a task, a wakeup or the next deadline. */
    void idleWithoutSource(IoHandlerContext context) {
        parkedWithoutSource = Thread.currentThread();
        state.set(PARKING);
        try {
            if (context.canBlock()) {
                long timeout = timeoutNanos(context);
                if (timeout < 0) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, timeout);
                }
            }
        } finally {
            state.set(AWAKE);
        }
    }

    private static long timeoutNanos(IoHandlerContext context) {
        return context.deadlineNanos() == -1 ? -1 : Math.max(0, context.delayNanos(System.nanoTime()));
    }

    /** Ends the current or next idle period; a no-op on the loop thread and while the loop is awake. */
    void wakeup() {
        if (state.get() != AWAKE && !executor.isExecutorThread(Thread.currentThread())
                && state.getAndSet(AWAKE) == PARKING) {
            Thread parked = parkedWithoutSource;
            if (parked == null) {
                source.wakeup();
            } else {
                LockSupport.unpark(parked);
            }
        }
    }
}
