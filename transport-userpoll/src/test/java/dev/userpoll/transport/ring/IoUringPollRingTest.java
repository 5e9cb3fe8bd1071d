package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.ring.IoUringTestSupport.Event;
import dev.userpoll.transport.ring.IoUringTestSupport.TcpPair;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

import static dev.userpoll.transport.ring.IoUringTestSupport.contains;
import static dev.userpoll.transport.ring.IoUringTestSupport.collectNow;
import static dev.userpoll.transport.ring.IoUringTestSupport.collectUntil;
import static dev.userpoll.transport.ring.IoUringTestSupport.readAll;
import static dev.userpoll.transport.ring.IoUringTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link IoUringPollRing}: the ring source contract, then what is particular to io_uring (arms and
 * re-arms, CQ overflow, the file reference an arm holds, setup flags).
 */
class IoUringPollRingTest extends AbstractRingSourceTest {

    @BeforeAll
    static void requireIoUring() {
        IoUringTestSupport.assumeIoUring();
    }

    @Override
    protected RingSource newSource() throws Exception {
        return new IoUringPollRing(ringSize());
    }

    @Test
    void aRingFdRegisteredWithTheLoopThreadStillWaitsDrainsSubmitsAndCloses() throws Exception {
        try (TcpPair pair = TcpPair.open()) {
            IoUringPollRing ring = new IoUringPollRing(64);
            try {
                ring.initialize();
                org.junit.jupiter.api.Assumptions.assumeTrue(ring.isRingFdRegistered(),
                        "the kernel refused IORING_REGISTER_RING_FDS (Linux 5.18)");
                ring.register(pair.fd(), Native.EPOLLIN, 9);
                collectNow(ring);
                pair.peer.getOutputStream().write(1);
                assertTrue(contains(collectUntil(ring, events -> !events.isEmpty()), 9, Native.EPOLLIN));
                Thread waker = IoUringTestSupport.wakeAfter(ring, 50);
                long start = System.nanoTime();
                ring.park(30_000_000_000L); // by the registered index: a wakeup still ends it
                waker.join();
                assertTrue(System.nanoTime() - start < 10_000_000_000L, "wakeup() did not end the park");
                ring.deregister(pair.fd());
            } finally {
                ring.close(); // unregisters first: the registration would otherwise keep the ring alive
            }
        }
        // A thread has 16 registration slots: were close() not to give its slot back, this would run out.
        for (int i = 0; i < 40; i++) {
            try (IoUringPollRing ring = new IoUringPollRing(8)) {
                ring.initialize();
                assertTrue(ring.isRingFdRegistered(), "registration " + i + " refused: a slot was never given back");
            }
        }
    }

    @Test
    void aSourceOpenedWithoutRingFdRegistrationEntersByItsFd() throws Exception {
        try (RingSource source = RingSources.open(RingSources.IO_URING, 64, false, null, false)) {
            source.initialize();
            assertFalse(((IoUringPollRing) source).isRingFdRegistered());
        }
        try (RingSource source = RingSources.open(RingSources.IO_URING, 64, false, null, true)) {
            source.initialize();
            assertTrue(((IoUringPollRing) source).isRingFdRegistered());
        }
    }

    @Test
    void probeReportsAvailableAndRingIsSizedFromTheHint() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(4096)) {
            assertEquals(RingSources.IO_URING, ring.name());
            assertEquals(512, ring.layout().sqEntries); // arms, and half of it for a pass's batched socket operations
            assertEquals(8192, ring.layout().cqEntries);
            assertTrue(ring.layout().hasFeature(Native.IORING_FEAT_EXT_ARG));
            assertFalse(ring.hasReady());
        }
    }

    @Test
    void refusedSetupSaysIoUringIsUnavailableAndNamesTheErrno() {
        IOException e = assertThrows(IOException.class, () -> new IoUringPollRing(0, 0, 0)); // 0 entries: EINVAL
        assertTrue(e.getMessage().contains("io_uring is unavailable") && e.getMessage().contains("EINVAL"),
                e.getMessage());
    }

    /** Internal completions (wakeups, removals, ended registrations) do not make hasReady() true. */
    @Test
    void hasReadyIgnoresCompletionsThatDrainDrops() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            FileDescriptor[] pipe = FileDescriptor.pipe();
            try {
                ring.register(pipe[0].intValue(), Native.EPOLLIN, 1);
                write(pipe[1], 1);
                assertTrue(ring.hasReady());
                ring.deregister(pipe[0].intValue()); // leaves the stale CQE plus the removal's ones in the ring
                ring.wakeup();
                ring.park(1_000_000_000L);
                assertFalse(ring.hasReady());
                assertEquals(0, ring.drain((t, ev) -> { }));
            } finally {
                pipe[0].close();
                pipe[1].close();
            }
        }
    }

    @Test
    void handlerMayCloseTheSource() throws Exception {
        IoUringPollRing ring = new IoUringPollRing(64);
        FileDescriptor[] a = FileDescriptor.pipe();
        FileDescriptor[] b = FileDescriptor.pipe();
        try {
            ring.register(a[0].intValue(), Native.EPOLLIN, 1);
            ring.register(b[0].intValue(), Native.EPOLLIN, 2);
            write(a[1], 1);
            write(b[1], 1);
            assertEquals(1, ring.drain((t, ev) -> ring.close()));
            assertFalse(ring.hasReady());
        } finally {
            ring.close();
            a[0].close();
            a[1].close();
            b[0].close();
            b[1].close();
        }
    }

    @Test
    void setupFlagsAreParsed() {
        assertEquals(0, IoUringSetup.parseSetupFlags("default"));
        assertEquals(Native.IORING_SETUP_COOP_TASKRUN, IoUringSetup.parseSetupFlags("coop"));
        int both = Native.IORING_SETUP_COOP_TASKRUN | Native.IORING_SETUP_TASKRUN_FLAG;
        assertEquals(both, IoUringSetup.parseSetupFlags("coop,taskrun"));
        assertEquals(both, IoUringSetup.parseSetupFlags(" Taskrun "));
        assertThrows(IllegalArgumentException.class, () -> IoUringSetup.parseSetupFlags("defer"));
    }

    /** Every flag choice works end to end: data in, event out, wakeup and removal. */
    @ParameterizedTest
    @ValueSource(strings = {"default", "coop", "coop,taskrun"})
    void everySetupFlagChoiceDeliversEvents(String flags) throws Exception {
        int setupFlags = IoUringSetup.parseSetupFlags(flags);
        try (IoUringPollRing ring = new IoUringPollRing(64, 128, setupFlags); TcpPair pair = TcpPair.open()) {
            assertEquals(setupFlags, ring.layout().setupFlags & setupFlags, "flags kept on this kernel");
            ring.register(pair.fd(), Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP, 7);
            assertTrue(contains(collectUntil(ring, ev -> contains(ev, 7, Native.EPOLLOUT)), 7, Native.EPOLLOUT));
            pair.peer.getOutputStream().write(1);
            assertTrue(contains(collectUntil(ring, ev -> contains(ev, 7, Native.EPOLLIN)), 7, Native.EPOLLIN));
            assertEquals(1, readAll(pair.accepted));
            ring.wakeup();
            ring.park(-1); // returns because of the wakeup
            assertTrue(collectNow(ring).isEmpty(), "wakeup completions are not delivered");
            ring.deregister(pair.fd());
        }
    }

    /** One POLL_ADD per fd for its whole life: 1000 request/response rounds never re-arm. */
    @Test
    void steadyStateNeverReArms() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(256); TcpPair pair = TcpPair.open()) {
            ring.register(pair.fd(), Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP, 5);
            assertEquals(1, ring.armCount());
            InputStream peerIn = pair.peer.getInputStream();
            java.io.OutputStream peerOut = pair.peer.getOutputStream();
            int[] readable = new int[1];
            ReadyHandler handler = (token, events) -> {
                if (token == 5 && (events & Native.EPOLLIN) != 0) {
                    readable[0]++;
                }
            };
            for (int round = 0; round < 1000; round++) {
                readable[0] = 0;
                peerOut.write(round & 0x7f);
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (readable[0] == 0 && System.nanoTime() < deadline) {
                    ring.park(100_000_000L);
                    ring.drain(handler);
                }
                assertEquals(1, readable[0], "round " + round);
                assertEquals(1, readAll(pair.accepted));
                write(pair.accepted, 1);
                assertEquals(0, peerIn.read(), "round " + round); // write() sends byte 0
            }
            assertEquals(1, ring.armCount(), "re-armed in steady state");
        }
    }

    /**
     * More completions than the CQ ring holds: the kernel keeps the surplus on its overflow list
     * (IORING_SQ_CQ_OVERFLOW) and ends the multishot arms it could not post to; drain flushes the
     * list, delivers every event once, and re-arms the ended arms.
     */
    @ParameterizedTest
    @ValueSource(strings = {"default", "coop", "coop,taskrun"})
    void cqOverflowLosesNothingAndEndedArmsAreReArmed(String flags) throws Exception {
        int fds = 32;
        try (IoUringPollRing ring = new IoUringPollRing(4, 4, IoUringSetup.parseSetupFlags(flags))) {
            assertEquals(4, ring.layout().cqEntries);
            FileDescriptor[][] pipes = new FileDescriptor[fds][];
            try {
                for (int i = 0; i < fds; i++) {
                    pipes[i] = FileDescriptor.pipe();
                    ring.register(pipes[i][0].intValue(), Native.EPOLLIN, 100 + i);
                }
                assertEquals(fds, ring.armCount());
                for (int i = 0; i < fds; i++) {
                    write(pipes[i][1], 1);
                }
                assertTrue(ring.hasReady());
                int sqFlags = ring.sqFlagsForTest();
                assertNotEquals(0, sqFlags & Native.IORING_SQ_CQ_OVERFLOW,
                        "CQ overflow not flagged: 0x" + Integer.toHexString(sqFlags));

                // The handler reads like a channel does, so a re-arm finds nothing left to report.
                List<Event> events = new ArrayList<>();
                int delivered = ring.drain((token, ev) -> {
                    events.add(new Event(token, ev));
                    try {
                        assertEquals(1, readAll(pipes[(int) (token - 100)][0]), "token " + token);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
                assertEquals(fds, delivered);
                assertDeliveredOnceEach(events, fds, 100);
                long reArms = ring.armCount() - fds;
                assertTrue(reArms >= fds - 4, "arms ended by the overflow were not re-armed: " + reArms);
                assertEquals(0, ring.sqFlagsForTest() & Native.IORING_SQ_CQ_OVERFLOW);

                // Every fd, including those whose arm the kernel ended, still reports new data.
                long armsBefore = ring.armCount();
                for (int i = 0; i < fds; i++) {
                    write(pipes[i][1], 1);
                    final long token = 100 + i;
                    List<Event> again = collectUntil(ring, ev -> contains(ev, token, Native.EPOLLIN));
                    assertTrue(contains(again, token, Native.EPOLLIN), "fd " + i + ": " + again);
                    assertEquals(1, readAll(pipes[i][0]));
                }
                assertEquals(armsBefore, ring.armCount(), "no re-arm while the CQ ring has room");
            } finally {
                for (FileDescriptor[] p : pipes) {
                    if (p != null) {
                        p[0].close();
                        p[1].close();
                    }
                }
            }
        }
    }

    private static void assertDeliveredOnceEach(List<Event> events, int n, long firstToken) {
        int[] seen = new int[n];
        for (Event e : events) {
            int i = (int) (e.token - firstToken);
            assertTrue(i >= 0 && i < n, "unknown token " + e);
            assertEquals(Native.EPOLLIN, e.events & Native.EPOLLIN, e.toString());
            seen[i]++;
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, seen[i], "events for fd #" + i + " in " + events);
        }
    }

    /** The arm holds a file reference; after deregister() the fd's close() must really close the socket. */
    @Test
    void peerSeesEofAfterDeregisterAndClose() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            for (int attempt = 0; attempt < 20; attempt++) {
                TcpPair pair = TcpPair.open();
                try {
                    ring.register(pair.fd(), Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP, attempt);
                    collectUntil(ring, ev -> !ev.isEmpty()); // the arm reported the socket writable
                    ring.deregister(pair.fd());
                    pair.accepted.close();
                    pair.peer.setSoTimeout(2000);
                    int r;
                    try {
                        r = pair.peer.getInputStream().read();
                    } catch (SocketTimeoutException e) {
                        throw new AssertionError("attempt " + attempt + ": peer saw no EOF within 2 s", e);
                    }
                    assertEquals(-1, r, "attempt " + attempt);
                } finally {
                    pair.peer.close();
                }
            }
            assertEquals(20, ring.armCount());
        }
    }

    /**
     * A channel closed from within a drain (what a completion or an event ran): its arm's removal goes with the
     * drain's closing submit, not in an enter of its own, and the peer sees EOF once the drain has returned.
     */
    @Test
    void deregisterInsideADrainGoesWithTheDrainsSubmitAndThePeerSeesEof() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            TcpPair[] pairs = {TcpPair.open(), TcpPair.open(), TcpPair.open()};
            try {
                for (int i = 0; i < pairs.length; i++) {
                    ring.register(pairs[i].fd(), Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP, i);
                }
                // Each arm reports its socket writable at once.
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (!ring.hasReady() && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                Thread.sleep(20);
                long before = ring.counters().get(LoopCounters.REGISTER) + ring.counters().get(LoopCounters.SUBMIT);
                long[] duringDrain = {-1};
                List<Integer> closed = new ArrayList<>();
                ring.drain((token, events) -> {
                    try {
                        TcpPair pair = pairs[(int) token];
                        ring.deregister(pair.fd());
                        pair.accepted.close(); // the fd number is free at once; the file goes with the submit
                        closed.add((int) token);
                        duringDrain[0] = ring.counters().get(LoopCounters.REGISTER)
                                + ring.counters().get(LoopCounters.SUBMIT);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
                long after = ring.counters().get(LoopCounters.REGISTER) + ring.counters().get(LoopCounters.SUBMIT);
                assertFalse(closed.isEmpty(), "no event drained");
                assertEquals(before, duringDrain[0], "a removal inside the drain entered the kernel on its own");
                assertEquals(before + 1, after, closed + " removed: one submit when the drain ended");
                for (int i : closed) {
                    pairs[i].peer.setSoTimeout(2000);
                    try {
                        assertEquals(-1, pairs[i].peer.getInputStream().read(), "pair " + i);
                    } catch (SocketTimeoutException e) {
                        throw new AssertionError("pair " + i + ": peer saw no EOF within 2 s", e);
                    }
                }
            } finally {
                for (TcpPair pair : pairs) {
                    pair.peer.close();
                    pair.accepted.close();
                }
            }
        }
    }

    @Test
    void deregisterDropsEventsAlreadyInTheRing() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            FileDescriptor[] pipe = FileDescriptor.pipe();
            try {
                ring.register(pipe[0].intValue(), Native.EPOLLIN, 9);
                write(pipe[1], 1);
                assertTrue(ring.hasReady(), "the CQE is in the ring before deregister");
                ring.deregister(pipe[0].intValue());
                assertTrue(collectNow(ring).isEmpty());
                ring.deregister(pipe[0].intValue()); // not registered any more: nothing to do
            } finally {
                pipe[0].close();
                pipe[1].close();
            }
        }
    }

    /** Registrations made by the handler during a drain are submitted together when it ends. */
    @Test
    void registrationFromTheHandlerIsArmedWhenTheDrainEnds() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            FileDescriptor[] a = FileDescriptor.pipe();
            FileDescriptor[] b = FileDescriptor.pipe();
            try {
                ring.register(a[0].intValue(), Native.EPOLLIN, 1);
                write(a[1], 1);
                write(b[1], 1); // b is readable before it is registered: the arm reports it at once
                List<Event> seen = new ArrayList<>();
                ring.drain((token, events) -> {
                    seen.add(new Event(token, events));
                    if (token == 1) {
                        try {
                            ring.register(b[0].intValue(), Native.EPOLLIN, 2);
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                });
                assertEquals(1, seen.size(), seen.toString());
                assertTrue(contains(collectUntil(ring, ev -> !ev.isEmpty()), 2, Native.EPOLLIN));
            } finally {
                a[0].close();
                a[1].close();
                b[0].close();
                b[1].close();
            }
        }
    }

    /** A POLL_ADD the kernel refuses completes with an error: the owner gets EPOLLERR, and no re-arm loop. */
    @Test
    void refusedArmIsReportedAsEpollErr() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            FileDescriptor[] pipe = FileDescriptor.pipe();
            int closedFd = pipe[0].intValue();
            pipe[0].close();
            pipe[1].close();
            ring.register(closedFd, Native.EPOLLIN, 3);
            List<Event> events = collectUntil(ring, ev -> !ev.isEmpty());
            assertEquals(1, events.size(), events.toString());
            assertEquals(Native.EPOLLERR, events.get(0).events);
            assertEquals(1, ring.armCount());
            ring.park(20_000_000L);
            assertTrue(collectNow(ring).isEmpty());
            ring.deregister(closedFd);
        }
    }

    @Test
    void wakeupBeforeParkEndsTheNextParkAndManyWakeupsStayCheap() throws Exception {
        try (IoUringPollRing ring = new IoUringPollRing(64)) {
            for (int i = 0; i < 3000; i++) {
                ring.wakeup();
                ring.wakeup();
                long start = System.nanoTime();
                ring.park(5_000_000_000L);
                assertTrue(System.nanoTime() - start < 2_000_000_000L, "iteration " + i);
                assertEquals(0, ring.drain((t, e) -> { }));
            }
            // The eventfd counter is read now and then; its arm is still live afterwards.
            long start = System.nanoTime();
            ring.park(50_000_000L);
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(tookMillis >= 40 && tookMillis < 2000, "park took " + tookMillis + " ms");
        }
    }
}
