package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.ring.LoopCounters;
import dev.userpoll.transport.ring.ReadyHandler;
import dev.userpoll.transport.ring.RingSource;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop's own rules, against a scripted ring source: routing, stale events, the ready list, wakeups. */
class UserpollIoHandlerTest {
    private ScriptedSource source;
    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;

    @BeforeEach
    void start() {
        Userpoll.ensureAvailability();
        source = new ScriptedSource();
        group = new MultiThreadIoEventLoopGroup(1, UserpollIoHandler.newFactory(direct(IdlePolicy.PARK), () -> source));
        loop = (IoEventLoop) group.next();
    }

    @AfterEach
    void stop() throws InterruptedException {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }

    @Test
    void anEventForARegistrationCancelledEarlierInTheSameBatchIsNotDelivered() throws Exception {
        TestHandle b = new TestHandle(101, null);
        TestHandle a = new TestHandle(100, (reg, ev) -> b.registration.cancel());
        register(a);
        register(b);
        source.inject(source.tokenOf(100), Native.EPOLLIN, source.tokenOf(101), Native.EPOLLIN);
        a.awaitEvents(1);
        Thread.sleep(100);
        assertEquals(0, b.events.size(), "b was cancelled by a's handler before its event in the same batch");
    }

    @Test
    void anEventCarryingTheTokenOfAnEndedRegistrationNeverReachesItsSuccessor() throws Exception {
        TestHandle old = new TestHandle(200, null);
        register(old);
        long oldToken = source.tokenOf(200);
        loop.submit(() -> old.registration.cancel()).sync();
        TestHandle successor = new TestHandle(200, null); // same fd number, same loop slot
        register(successor);
        long newToken = source.tokenOf(200);
        assertEquals((int) oldToken, (int) newToken, "the slot is reused");
        source.inject(oldToken, Native.EPOLLIN);
        Thread.sleep(100);
        assertEquals(0, successor.events.size());
        source.inject(newToken, Native.EPOLLIN | Native.EPOLLRDHUP);
        successor.awaitEvents(1);
        assertEquals(Native.EPOLLIN | Native.EPOLLRDHUP, successor.events.get(0));
    }

    @Test
    void aHandleOnTheReadyListIsServedAgainWithoutAKernelEvent() throws Exception {
        AtomicInteger retries = new AtomicInteger();
        TestHandle h = new TestHandle(300, (reg, ev) -> {
            if (retries.getAndIncrement() < 5) {
                reg.submit(UserpollIoOps.READY); // stopped early: serve me next pass
            }
        });
        register(h);
        source.inject(source.tokenOf(300), Native.EPOLLIN);
        h.awaitEvents(6);
        assertEquals(Native.EPOLLIN, h.events.get(0));
        for (int i = 1; i < 6; i++) {
            assertEquals(0, h.events.get(i), "served from the ready list: no new bits");
        }
        assertEquals(1, source.injected.get(), "only one kernel event was ever posted");
    }

    @Test
    void wakeupIsANoOpOnTheLoopThreadAndReachesTheSourceOnlyWhileIdle() throws Exception {
        loop.submit(() -> {
            for (int i = 0; i < 1000; i++) {
                loop.execute(() -> { });
            }
        }).sync();
        int fromLoop = source.wakeups.get();
        assertTrue(fromLoop <= 1, "tasks added on the loop thread woke the source " + fromLoop + " times");
        // From another thread: a parked loop is woken, promptly.
        Thread.sleep(50);
        long start = System.nanoTime();
        loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
        assertTrue(source.wakeups.get() > fromLoop);
    }

    @Test
    void aSpinningLoopIsWokenAndServedWithoutEnteringTheKernel() throws Exception {
        ScriptedSource spun = new ScriptedSource();
        MultiThreadIoEventLoopGroup spinning = new MultiThreadIoEventLoopGroup(1,
                UserpollIoHandler.newFactory(direct(IdlePolicy.spinThenPark(java.time.Duration.ofSeconds(30))), () -> spun));
        try {
            IoEventLoop l = (IoEventLoop) spinning.next();
            TestHandle h = new TestHandle(400, null);
            IoRegistration reg = l.register(h).get(5, TimeUnit.SECONDS);
            l.submit(() -> reg.submit(UserpollIoOps.ARM_STREAM)).sync();
            Thread.sleep(50); // idle now: spinning on the ring for up to 30 s
            for (int i = 0; i < 20; i++) {
                l.submit(() -> { }).get(5, TimeUnit.SECONDS); // a task from another thread ends the spin
                spun.inject(spun.tokenOf(400), Native.EPOLLIN); // an event is seen by the spin's plain loads
                h.awaitEvents(i + 1);
            }
            assertEquals(0, spun.wakeups.get(), "a spinning loop needs no kernel wakeup");
            assertEquals(0, spun.parks.get(), "nothing made the loop park");
        } finally {
            spinning.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    /** The scripted source says nothing about sockets: keep the batch (and its io_uring) out of these loops. */
    private static UserpollIoHandlerConfig direct(IdlePolicy idlePolicy) {
        return new UserpollIoHandlerConfig().setIdlePolicy(idlePolicy).setIoSubmitter(IoSubmitter.DIRECT);
    }

    private void register(TestHandle h) throws Exception {
        IoRegistration reg = loop.register(h).get(5, TimeUnit.SECONDS);
        h.registration = reg;
        loop.submit(() -> reg.submit(UserpollIoOps.ARM_STREAM)).sync();
    }

    static final class TestHandle implements UserpollIoHandle {
        final FileDescriptor fd;
        final BiConsumer<IoRegistration, UserpollIoEvent> onEvent;
        final CopyOnWriteArrayList<Integer> events = new CopyOnWriteArrayList<>();
        volatile IoRegistration registration;

        TestHandle(int fd, BiConsumer<IoRegistration, UserpollIoEvent> onEvent) {
            this.fd = new FileDescriptor(fd); // never opened nor closed: the scripted source only reads the number
            this.onEvent = onEvent;
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            UserpollIoEvent ev = (UserpollIoEvent) event;
            events.add(ev.events());
            if (onEvent != null) {
                onEvent.accept(reg, ev);
            }
        }

        @Override
        public void close() {
        }

        void awaitEvents(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (events.size() < n && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(events.size() >= n, "expected " + n + " events, got " + events);
        }
    }

    /** A ring source whose "kernel" is the test: events are injected as batches. */
    static final class ScriptedSource implements RingSource {
        final Map<Integer, Long> tokens = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<long[]> batches = new ConcurrentLinkedQueue<>();
        final Semaphore signal = new Semaphore(0);
        final AtomicInteger wakeups = new AtomicInteger();
        final AtomicInteger injected = new AtomicInteger();
        final AtomicInteger parks = new AtomicInteger();
        final LoopCounters counters = new LoopCounters();

        long tokenOf(int fd) {
            return tokens.get(fd);
        }

        /** One batch: token, events, token, events, ... delivered by a single drain(). */
        void inject(long... tokenEventPairs) {
            injected.addAndGet(tokenEventPairs.length / 2);
            batches.add(tokenEventPairs);
            signal.release();
        }

        @Override
        public String name() {
            return RingSourceKind.EPOLL.configName();
        }

        @Override
        public void register(int fd, int events, long token) {
            tokens.put(fd, token);
        }

        @Override
        public void deregister(int fd) {
        }

        @Override
        public int drain(ReadyHandler handler) {
            int n = 0;
            long[] batch;
            while ((batch = batches.poll()) != null) {
                for (int i = 0; i < batch.length; i += 2) {
                    handler.ready(batch[i], (int) batch[i + 1]);
                    n++;
                }
            }
            return n;
        }

        @Override
        public boolean hasReady() {
            return !batches.isEmpty();
        }

        @Override
        public void park(long timeoutNanos) throws java.io.IOException {
            parks.incrementAndGet();
            try {
                if (timeoutNanos < 0) {
                    signal.acquire();
                } else {
                    signal.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            signal.drainPermits();
        }

        @Override
        public LoopCounters counters() {
            return counters;
        }

        @Override
        public void wakeup() {
            wakeups.incrementAndGet();
            signal.release();
        }

        @Override
        public void close() {
        }
    }
}
