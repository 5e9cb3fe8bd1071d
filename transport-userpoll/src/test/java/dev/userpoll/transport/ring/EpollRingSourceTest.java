package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static dev.userpoll.transport.ring.RingTestSockets.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring source contract for the plain epoll source, with an event array of {@value #EVENTS} so
 * that batches wrap, plus what only epoll does: events are ready synchronously (a write is visible to
 * the next drain), and park() hands its batch to the next drain().
 */
class EpollRingSourceTest extends AbstractRingSourceTest {
    static final int EVENTS = 16;

    @Override
    protected RingSource newSource() throws IOException {
        return new EpollRingSource(EVENTS);
    }

    @Test
    void isTheEpollKindAndAlwaysAvailable() throws Exception {
        assertEquals(RingSources.EPOLL, source.name());
        assertNull(EpollRingSource.probe());
        assertTrue(RingSourceKind.EPOLL.isAvailable());
        try (RingSource opened = RingSources.open(RingSources.EPOLL, EVENTS, false, null, false)) {
            assertInstanceOf(EpollRingSource.class, opened);
        }
    }

    @Test
    void rejectsANonPositiveRingSize() {
        assertThrows(IllegalArgumentException.class, () -> new EpollRingSource(0));
        assertThrows(IllegalArgumentException.class, () -> new EpollRingSource(-1));
    }

    @Test
    void moreReadyFdsThanTheArrayHoldsAreAllDeliveredInOneDrain() throws Exception {
        int pipes = EVENTS * 20 + 3;
        FileDescriptor[][] all = new FileDescriptor[pipes][];
        for (int i = 0; i < pipes; i++) {
            all[i] = pipe();
            source.register(all[i][0].intValue(), Native.EPOLLIN, tokenOf(i));
            write(all[i][1], 1);
        }
        source.wakeup(); // the wakeup shares the array and is skipped without being counted
        RingTestRecorder rec = new RingTestRecorder();
        assertEquals(pipes, source.drain(rec), rec.toString());
        assertEquals(pipes, rec.distinctTokens());
        assertEquals(0, source.drain(rec));
    }

    @Test
    void parkHandsItsBatchToTheNextDrain() throws Exception {
        assertFalse(source.hasReady());
        FileDescriptor[] p = pipe();
        source.register(p[0].intValue(), Native.EPOLLIN, 7);
        write(p[1], 1);
        long start = System.nanoTime();
        source.park(TimeUnit.SECONDS.toNanos(10));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "an event was ready");
        assertTrue(source.hasReady(), "park() keeps what epoll returned");
        start = System.nanoTime();
        source.park(TimeUnit.SECONDS.toNanos(10)); // events are waiting: does not sleep, keeps them
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
        RingTestRecorder rec = new RingTestRecorder();
        assertEquals(1, source.drain(rec));
        assertEquals(1, rec.count(7, Native.EPOLLIN));
        assertFalse(source.hasReady());
    }

    @Test
    void aDeregisteredFdsParkedEventIsDropped() throws Exception {
        FileDescriptor[] a = pipe();
        FileDescriptor[] b = pipe();
        source.register(a[0].intValue(), Native.EPOLLIN, 1);
        source.register(b[0].intValue(), Native.EPOLLIN, 2);
        write(a[1], 1);
        write(b[1], 1);
        source.park(TimeUnit.SECONDS.toNanos(1));
        assertTrue(source.hasReady());
        source.deregister(a[0].intValue());
        a[0].close();
        FileDescriptor[] c = pipe(); // takes a's read end number
        source.register(c[0].intValue(), Native.EPOLLIN, 3);
        RingTestRecorder rec = new RingTestRecorder();
        assertEquals(1, source.drain(rec), rec.toString());
        assertEquals(1, rec.count(2));
    }

    @Test
    void aWakeupConsumedByDrainStillEndsTheNextPark() throws Exception {
        source.wakeup();
        RingTestRecorder rec = new RingTestRecorder();
        assertEquals(0, source.drain(rec)); // reads the eventfd edge
        assertFalse(source.hasReady());
        long start = System.nanoTime();
        source.park(TimeUnit.SECONDS.toNanos(5));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "the wakeup was lost");
        start = System.nanoTime();
        source.park(TimeUnit.MILLISECONDS.toNanos(50)); // and it is spent
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(40));
    }

    @Test
    void aWakeupIsNotParkedAsAnEvent() throws Exception {
        source.wakeup();
        source.park(TimeUnit.SECONDS.toNanos(5));
        assertFalse(source.hasReady(), "the wakeup is not an event for drain()");
        assertEquals(0, source.drain(new RingTestRecorder()));
    }

    @Test
    void aRefusedRegistrationLeavesNoTrace() throws Exception {
        FileDescriptor[] p = pipe();
        int fd = p[0].intValue();
        p[0].close();
        IOException e = assertThrows(IOException.class, () -> source.register(fd, Native.EPOLLIN, 1));
        assertTrue(e.getMessage().contains("epoll_ctl"), e.getMessage());
        FileDescriptor[] q = pipe();
        source.register(q[0].intValue(), Native.EPOLLIN, 2); // fd may be the refused number again
        write(q[1], 1);
        RingTestRecorder rec = new RingTestRecorder();
        assertEquals(1, source.drain(rec));
        assertEquals(1, rec.count(2));
    }

    @Test
    void deregisterOfAnUnknownOrClosedFdIsTolerated() throws Exception {
        source.deregister(12345);
        FileDescriptor[] p = pipe();
        source.register(p[0].intValue(), Native.EPOLLIN, 1);
        p[0].close();
        source.deregister(p[0].intValue()); // EBADF from the kernel, registration dropped anyway
        source.deregister(p[0].intValue());
    }

    @Test
    void aClosedSourceRefusesWorkButDrainsNothingQuietly() throws Exception {
        FileDescriptor[] p = pipe();
        source.register(p[0].intValue(), Native.EPOLLIN, 1);
        write(p[1], 1);
        source.park(TimeUnit.SECONDS.toNanos(1));
        source.close();
        assertFalse(source.hasReady());
        assertEquals(0, source.drain(new RingTestRecorder()));
        assertThrows(IOException.class, () -> source.register(p[1].intValue(), Native.EPOLLOUT, 2));
        assertThrows(IOException.class, () -> source.park(1));
        source.deregister(p[0].intValue());
        source.wakeup();
    }

    @Test
    void millisecondTimeoutsRoundUp() {
        assertEquals(-1, EpollRingSource.timeoutMillis(-1));
        assertEquals(-1, EpollRingSource.timeoutMillis(Long.MIN_VALUE));
        assertEquals(0, EpollRingSource.timeoutMillis(0));
        assertEquals(1, EpollRingSource.timeoutMillis(1));
        assertEquals(1, EpollRingSource.timeoutMillis(200_000));
        assertEquals(1, EpollRingSource.timeoutMillis(1_000_000));
        assertEquals(2, EpollRingSource.timeoutMillis(1_000_001));
        assertEquals(50, EpollRingSource.timeoutMillis(50_000_000));
        assertEquals(Integer.MAX_VALUE, EpollRingSource.timeoutMillis(Long.MAX_VALUE));
    }

    /** The whole contract again on the millisecond epoll_wait path used before Linux 5.11. */
    @Nested
    class WithoutEpollPwait2 extends AbstractRingSourceTest {
        @Override
        protected RingSource newSource() throws IOException {
            return new EpollRingSource(EVENTS, false);
        }

        @Test
        void subMillisecondDeadlinesStillWait() throws Exception {
            long start = System.nanoTime();
            source.park(TimeUnit.MICROSECONDS.toNanos(200)); // rounded up to 1 ms, never down to 0
            long took = System.nanoTime() - start;
            assertTrue(took >= TimeUnit.MICROSECONDS.toNanos(200), "took " + took + " ns");
        }
    }
}
