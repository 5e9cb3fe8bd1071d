package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A {@link RingSource#wakeup()} racing {@link RingSource#close()} must never write into the closed wakeup
 * eventfd's number once close() has returned: the process may already have handed that number to another file.
 * <p>More wakers than cores call wakeup() without pause on the source the loop thread publishes; the loop
 * thread opens a source, lets a wakeup be taken (park(0), drain) so that the next one writes, closes the
 * source and at once opens fresh eventfds, which take the lowest free numbers: the ones the close gave back.
 * After a round the wakers are quiesced (each finishes the call it was in) and every fresh eventfd is read
 * without blocking: nothing wrote to them, so a counter above 0 is a wakeup that wrote after close() returned.
 * A waker that wins the right to write just before close() and is preempted before its write(2) hits this;
 * preempter threads make such preemptions frequent. It is a race, so the test is probabilistic: on the code
 * before EventFdWaker it caught the io_uring source in most runs and the emulated userpoll source (whose
 * close() first joins the emulator's threads, a longer stall to outlast) rarely.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WakeupRacingCloseTest {
    /** How long one source is closed under fire at most (a failure usually ends it much sooner). */
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final int MAX_CLOSES = 20_000;
    /** Closes between two checks of the fresh eventfds. */
    private static final int ROUND = 64;
    /** Fresh eventfds opened after each close: at least as many fds as a source owns (userpoll: epfd, timerfd, eventfd). */
    private static final int FRESH_PER_CLOSE = 6;
    private static final long PREEMPT_SLEEP_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    private static final long PREEMPT_HOLD_NANOS = TimeUnit.MICROSECONDS.toNanos(300);
    private static final ReadyHandler IGNORE = (token, events) -> { };

    /** Opens a source of one kind; null when this machine cannot run it. */
    interface Opener {
        RingSource open() throws Exception;
    }

    @BeforeAll
    static void loadNative() {
        assertNull(RingSources.nativeUnavailabilityCause(), "native library");
    }

    static Stream<Named<Opener>> sources() {
        return Stream.of(
                named("epoll", () -> new EpollRingSource(16)),
                named("io_uring", () -> RingSourceKind.IO_URING.isAvailable() ? new IoUringPollRing(64) : null),
                named("userpoll", () -> RingSourceKind.USERPOLL.isAvailable() ? new UserpollRing(64) : null),
                named("userpoll-emulated-v3", () -> EmulatedUserpollKernel.openRing(64, UserpollProtocol.V3)),
                named("userpoll-emulated-v5", () -> EmulatedUserpollKernel.openRing(64, UserpollProtocol.V5)));
    }

    private static Named<Opener> named(String name, Opener opener) {
        return Named.of(name, opener);
    }

    @ParameterizedTest
    @MethodSource("sources")
    void noWakeupWritesIntoTheNumberOfAClosedSourcesEventFd(Opener opener) throws Exception {
        RingSource probe = opener.open();
        assumeTrue(probe != null, "this ring source is unavailable here");
        probe.close();

        int wakers = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        Hammer hammer = new Hammer(wakers);
        List<Integer> fresh = new ArrayList<>();
        int closes = 0;
        try {
            long deadline = System.nanoTime() + BUDGET_NANOS;
            while (closes < MAX_CLOSES && System.nanoTime() - deadline < 0) {
                for (int i = 0; i < ROUND; i++, closes++) {
                    RingSource source = opener.open();
                    hammer.target = source;
                    // Takes a wakeup if one was already written, so that another waker wins the right to write.
                    source.park(0);
                    source.drain(IGNORE);
                    source.close();
                    for (int f = 0; f < FRESH_PER_CLOSE; f++) {
                        fresh.add(Errno.check("eventfd", Native.eventFd()));
                    }
                }
                hammer.target = null;
                hammer.quiesce();
                String stray = strayWrites(fresh);
                closeAll(fresh);
                assertEquals("", stray, "after close() of a source returned, wakeup() wrote into an eventfd that"
                        + " had taken one of its fd numbers (found within " + closes + " closes)");
            }
        } finally {
            hammer.stop();
            closeAll(fresh);
        }
        assertTrue(closes >= ROUND, "closed only " + closes + " sources");
    }

    /** The fresh eventfds whose counter is not 0, with their counters; empty when none was written. */
    private static String strayWrites(List<Integer> fresh) {
        StringBuilder stray = new StringBuilder();
        for (int fd : fresh) {
            long counter = Native.eventFdRead(fd); // non-blocking: -EAGAIN when 0
            if (counter > 0) {
                stray.append(stray.length() == 0 ? "" : ", ").append("fd ").append(fd).append(": ").append(counter);
            }
        }
        return stray.toString();
    }

    private static void closeAll(List<Integer> fds) {
        for (int fd : fds) {
            Native.close(fd);
        }
        fds.clear();
    }

    /** Threads calling wakeup() on {@link #target} without pause. */
    private static final class Hammer {
        private final Thread[] threads;
        private final Thread[] preempters;
        /** Calls each thread has finished; a quiesce waits for every count to move. */
        private final AtomicLongArray finished;
        volatile RingSource target;
        private volatile boolean stopped;

        Hammer(int n) {
            threads = new Thread[n];
            finished = new AtomicLongArray(n);
            for (int i = 0; i < n; i++) {
                final int index = i;
                threads[i] = new Thread(() -> {
                    while (!stopped) {
                        RingSource s = target;
                        if (s != null) {
                            s.wakeup();
                        }
                        finished.incrementAndGet(index);
                    }
                }, "wakeup-racing-close-" + i);
                threads[i].setDaemon(true);
                threads[i].start();
            }
            // Preempters: each wakes every few microseconds and then holds a core for a while, so that a waker
            // is now and then taken off its core at an arbitrary instruction, such as between deciding to write
            // and write(2), for longer than a close() of the source and the reuse of its fd numbers take.
            preempters = new Thread[Runtime.getRuntime().availableProcessors()];
            for (int i = 0; i < preempters.length; i++) {
                preempters[i] = new Thread(() -> {
                    while (!stopped) {
                        LockSupport.parkNanos(PREEMPT_SLEEP_NANOS);
                        long until = System.nanoTime() + PREEMPT_HOLD_NANOS;
                        while (System.nanoTime() - until < 0) {
                            Thread.onSpinWait();
                        }
                    }
                }, "wakeup-racing-close-preempter-" + i);
                preempters[i].setDaemon(true);
                preempters[i].start();
            }
        }

        /** Returns once every thread has finished the call it was in when this began. */
        void quiesce() throws InterruptedException {
            long[] seen = new long[threads.length];
            for (int i = 0; i < seen.length; i++) {
                seen[i] = finished.get(i);
            }
            for (int i = 0; i < seen.length; i++) {
                // The count moves after each call: its next move ends the call that was in progress when it was read.
                while (finished.get(i) < seen[i] + 1) {
                    Thread.sleep(0, 100_000);
                }
            }
        }

        void stop() throws InterruptedException {
            stopped = true;
            for (Thread t : threads) {
                t.join();
            }
            for (Thread t : preempters) {
                t.join();
            }
        }
    }
}
