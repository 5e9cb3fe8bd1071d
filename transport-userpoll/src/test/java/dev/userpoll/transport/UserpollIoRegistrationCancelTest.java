package dev.userpoll.transport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A registration ends once, however many threads cancel it at the same moment. */
class UserpollIoRegistrationCancelTest {
    private static final int ROUNDS = 20_000;

    @Test
    void twoConcurrentCancelsUnregisterOnceAndOnlyOneOfThemReportsTheCancel() throws Exception {
        Userpoll.ensureAvailability();
        LoopTasks loop = new LoopTasks();
        UserpollIoHandler handler = (UserpollIoHandler) UserpollIoHandler.newFactory(
                new UserpollIoHandlerConfig().setIoSubmitter(IoSubmitter.DIRECT),
                UserpollIoHandlerTest.ScriptedSource::new).newHandler(loop);
        AtomicReference<Round> current = new AtomicReference<>();
        AtomicInteger arrivals = new AtomicInteger();
        AtomicInteger badRounds = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // The leader plays the loop as well: it registers, runs the queued cancel tasks and checks each round,
        // so the handler's own state is only ever touched by one thread.
        Runnable leader = () -> {
            for (int round = 0; round < ROUNDS && failure.get() == null; round++) {
                CountingHandle handle = new CountingHandle(1000 + round);
                current.set(new Round(handler.register(handle), handle));
                cancelTogether(current, arrivals, round);
                loop.runAll();
                Round r = current.get();
                if (r.registration.isValid() || r.handle.unregistered.get() != 1 || r.reportedCancels.get() != 1) {
                    badRounds.incrementAndGet();
                }
            }
        };
        Runnable follower = () -> {
            for (int round = 0; round < ROUNDS && failure.get() == null; round++) {
                cancelTogether(current, arrivals, round);
            }
        };
        Thread a = new Thread(guard(leader, failure), "cancel-leader");
        Thread b = new Thread(guard(follower, failure), "cancel-follower");
        try {
            a.start();
            b.start();
            a.join(TimeUnit.MINUTES.toMillis(2));
            b.join(TimeUnit.SECONDS.toMillis(10));
        } finally {
            failure.compareAndSet(null, a.isAlive() || b.isAlive() ? new AssertionError("cancellers stalled") : null);
            a.join();
            b.join();
            loop.runAsLoop(handler::destroy);
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0, badRounds.get(), "rounds (of " + ROUNDS + ") where two concurrent cancels did not end"
                + " the registration exactly once");
    }

    /**
     * Both threads meet, cancel the round's registration at once and meet again. The meeting is a spin on one
     * counter, not a barrier: threads woken one by one from a barrier rarely overlap within a few instructions.
     */
    private static void cancelTogether(AtomicReference<Round> current, AtomicInteger arrivals, int round) {
        arrivals.incrementAndGet();
        awaitArrivals(arrivals, 4 * round + 2);
        Round r = current.get();
        if (r.registration.cancel()) {
            r.reportedCancels.incrementAndGet();
        }
        arrivals.incrementAndGet();
        awaitArrivals(arrivals, 4 * round + 4);
    }

    private static void awaitArrivals(AtomicInteger arrivals, int expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (arrivals.get() < expected) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the other canceller never arrived");
            }
            Thread.onSpinWait();
        }
    }

    private static Runnable guard(Runnable body, AtomicReference<Throwable> failure) {
        return () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
    }

    /** One round's registration and what the cancellers saw. */
    private static final class Round {
        final IoRegistration registration;
        final CountingHandle handle;
        final AtomicInteger reportedCancels = new AtomicInteger();

        Round(IoRegistration registration, CountingHandle handle) {
            this.registration = registration;
            this.handle = handle;
        }
    }

    /**
     * The loop, played by the leader between rounds: a cancel queues its task here (the cancellers are never the
     * loop thread), and the handler's loop-thread checks pass only while {@link #runAsLoop} runs.
     */
    private static final class LoopTasks implements ThreadAwareExecutor {
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
        private volatile Thread loopThread;

        @Override
        public boolean isExecutorThread(Thread thread) {
            return thread == loopThread;
        }

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            runAsLoop(() -> {
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
            });
        }

        void runAsLoop(Runnable body) {
            loopThread = Thread.currentThread();
            try {
                body.run();
            } finally {
                loopThread = null;
            }
        }
    }

    /** A handle that counts how often the loop tells it that its registration ended. */
    private static final class CountingHandle implements UserpollIoHandle {
        final FileDescriptor fd;
        final AtomicInteger unregistered = new AtomicInteger();

        CountingHandle(int fd) {
            this.fd = new FileDescriptor(fd); // never armed, opened nor closed: only the registration is exercised
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
        }

        @Override
        public void unregistered() {
            unregistered.incrementAndGet();
        }

        @Override
        public void close() {
        }
    }
}
