package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static dev.userpoll.transport.ring.RingTestSockets.readAll;
import static dev.userpoll.transport.ring.RingTestSockets.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract every {@link RingSource} passes, on real fds: pipes, eventfds and loopback TCP
 * sockets. Sources may deliver asynchronously (io_uring completes polls from task work), so every
 * wait is a loop of {@code drain} and short {@code park}s with a generous deadline, and "nothing
 * arrives" is judged over a quiet period of several parks.
 * <p>All source calls happen on the JUnit thread (the "loop thread"); only {@code wakeup()} is called
 * from other threads.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class AbstractRingSourceTest {
    /** How long a test waits for an event that must come. */
    protected static final long EVENT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** How long a test collects before it decides that nothing more comes. */
    protected static final long QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(150);
    /** One park inside a wait loop. */
    protected static final long PARK_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final int IN = Native.EPOLLIN;
    private static final int OUT = Native.EPOLLOUT;
    private static final int RDHUP = Native.EPOLLRDHUP;
    private static final int HUP = Native.EPOLLHUP;
    private static final int ERR = Native.EPOLLERR;

    /** The source under test, opened before each test by {@link #newSource()} and closed after it. */
    protected RingSource source;
    private final List<FileDescriptor> fds = new ArrayList<>();
    private final List<Integer> rawFds = new ArrayList<>();

    /** Opens a new source of the kind under test (called on the test thread; may make assumptions). */
    protected abstract RingSource newSource() throws Exception;

    /**
     * The most fds these tests register on one source at once ({@link #thousandsOfFdsEachDeliveredExactlyOnce}
     * scales down to it): a source with a fixed item table must hold this many.
     */
    protected int ringSize() {
        return 4096;
    }

    @BeforeAll
    static void loadNative() {
        assertNull(RingSources.nativeUnavailabilityCause(), "native library");
    }

    @BeforeEach
    void openSource() throws Exception {
        source = newSource();
    }

    @AfterEach
    void closeEverything() {
        try {
            if (source != null) {
                source.close();
            }
        } finally {
            RingTestSockets.closeAll(fds);
            for (int fd : rawFds) {
                Native.close(fd);
            }
        }
    }

    // ---------------------------------------------------------------- pipes and eventfds

    @Test
    void pipeReadEndGetsOneInEventPerWriteAndNoRepeatWhileDataIsUnread() throws Exception {
        FileDescriptor[] p = pipe();
        long token = 11;
        source.register(p[0].intValue(), IN, token);
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        assertEquals(0, rec.count(token), "an empty pipe is not readable: " + rec);

        for (int write = 1; write <= 3; write++) {
            write(p[1], 1); // the data is never read: each arrival is a new edge, and only one
            final int expected = write;
            drainUntil(rec, () -> rec.count(token) >= expected, "IN edge for write " + write);
            drainQuietly(rec);
            assertEquals(expected, rec.count(token), "exactly one event per write: " + rec);
            assertEquals(expected, rec.count(token, IN), "every event carries IN: " + rec);
        }
        int before = rec.size();
        assertEquals(0, source.drain(rec), "a second drain delivers nothing");
        assertEquals(before, rec.size());
        assertEquals(3, readAll(p[0]), "the data was left unread");
    }

    @Test
    void pipeWriteEndGetsOutOnce() throws Exception {
        FileDescriptor[] p = pipe();
        long token = 12;
        source.register(p[1].intValue(), OUT, token);
        RingTestRecorder rec = new RingTestRecorder();
        drainUntil(rec, () -> rec.count(token, OUT) > 0, "OUT for an empty pipe's write end");
        drainQuietly(rec);
        assertEquals(1, rec.count(token), "OUT is an edge, delivered once: " + rec);
        assertEquals(0, source.drain(rec));
    }

    @Test
    void eventFdGetsInPerWrite() throws Exception {
        int efd = eventFd();
        long token = 13;
        source.register(efd, IN, token);
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        assertEquals(0, rec.count(token), rec.toString());
        for (int write = 1; write <= 3; write++) {
            assertTrue(Native.eventFdWrite(efd, 1) > 0);
            final int expected = write;
            drainUntil(rec, () -> rec.count(token, IN) >= expected, "IN for eventfd write " + write);
        }
        drainQuietly(rec);
        assertEquals(3, rec.count(token), rec.toString());
        assertEquals(3, Native.eventFdRead(efd), "the counter was left for the owner");
    }

    // ---------------------------------------------------------------- TCP

    @Test
    void tcpAcceptThenDataBothWays() throws Exception {
        Socket listener = keep(RingTestSockets.listen());
        long lToken = 21;
        long sToken = 22;
        long cToken = 23;
        source.register(listener.intValue(), IN, lToken);
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        assertEquals(0, rec.count(lToken), rec.toString());

        Socket client = keep(RingTestSockets.connect(listener));
        drainUntil(rec, () -> rec.count(lToken, IN) > 0, "IN on the listener for a connection");
        Socket server = keep(RingTestSockets.accept(listener));
        source.register(server.intValue(), IN | OUT | RDHUP, sToken);
        source.register(client.intValue(), IN | OUT | RDHUP, cToken);
        drainUntil(rec, () -> rec.count(cToken, OUT) > 0 && rec.count(sToken, OUT) > 0,
                "OUT on both ends of a new connection");
        drainQuietly(rec);
        assertEquals(0, rec.count(sToken, IN), "nothing was sent yet: " + rec);
        assertEquals(0, rec.count(cToken, IN), "nothing was sent yet: " + rec);

        write(client, 5);
        drainUntil(rec, () -> rec.count(sToken, IN) > 0, "IN on the server end");
        assertEquals(5, readAll(server));
        write(server, 7);
        drainUntil(rec, () -> rec.count(cToken, IN) > 0, "IN on the client end");
        assertEquals(7, readAll(client));
        drainQuietly(rec);
        assertEquals(0, rec.union(sToken) & (RDHUP | HUP | ERR), "no hang-up yet: " + rec);
        assertEquals(0, rec.union(cToken) & (RDHUP | HUP | ERR), "no hang-up yet: " + rec);
    }

    @Test
    void tcpPeerShutdownOutputDeliversRdHupAndIn() throws Exception {
        Socket[] pair = connectedPair();
        Socket server = pair[0];
        Socket client = pair[1];
        long sToken = 31;
        source.register(server.intValue(), IN | RDHUP, sToken);
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        assertEquals(0, rec.count(sToken), "idle connection: " + rec);

        client.shutdown(false, true);
        drainUntil(rec, () -> rec.has(sToken, RDHUP | IN), "RDHUP and IN after the peer's FIN");
        assertEquals(0, rec.union(sToken) & HUP, "the server can still write, so no HUP: " + rec);
        assertEquals(0, readAll(server), "end of stream, no data");
    }

    @Test
    void tcpPeerResetDeliversHupOrErr() throws Exception {
        Socket[] pair = connectedPair();
        Socket server = pair[0];
        Socket client = pair[1];
        long sToken = 41;
        source.register(server.intValue(), IN | RDHUP, sToken);
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);

        client.setSoLinger(0);
        client.close(); // linger 0: RST instead of FIN
        drainUntil(rec, () -> (rec.union(sToken) & (HUP | ERR)) != 0, "HUP/ERR after the peer's RST");
    }

    // ---------------------------------------------------------------- deregistration

    @Test
    void noEventAfterDeregisterEvenWhenOneWasPending() throws Exception {
        FileDescriptor[] p = pipe();
        long old = 51;
        long renewed = 52;
        source.register(p[0].intValue(), IN, old);
        write(p[1], 1);
        source.park(PARK_SLICE_NANOS); // a source may now hold the event in user memory
        source.deregister(p[0].intValue());
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        write(p[1], 1); // an arrival after deregister is not delivered either
        drainQuietly(rec);
        assertEquals(0, rec.size(), "nothing after deregister: " + rec);

        // The same (still open, still readable) fd registered again sees only the new token.
        source.register(p[0].intValue(), IN, renewed);
        write(p[1], 1);
        drainUntil(rec, () -> rec.count(renewed, IN) > 0, "IN for the new registration");
        drainQuietly(rec);
        assertEquals(0, rec.count(old), rec.toString());
    }

    @Test
    void noEventAfterCloseAndDeregisterEvenWhenTheFdNumberIsReused() throws Exception {
        FileDescriptor[] first = pipe();
        int fd = first[0].intValue();
        long old = 61;
        long renewed = 62;
        source.register(fd, IN, old);
        write(first[1], 1);
        source.park(PARK_SLICE_NANOS);
        first[0].close();
        source.deregister(fd);

        FileDescriptor[] second = pipe(); // the lowest free number: usually fd again
        source.register(second[0].intValue(), IN, renewed);
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        assertEquals(0, rec.size(), "the new pipe is empty and the old registration ended: " + rec);
        write(second[1], 1);
        drainUntil(rec, () -> rec.count(renewed, IN) > 0, "IN for the pipe that reused fd " + fd);
        drainQuietly(rec);
        assertEquals(1, rec.count(renewed), rec.toString());
        assertEquals(0, rec.count(old), rec.toString());
        if (second[0].intValue() != fd) {
            System.out.println("note: fd " + fd + " was not reused at once (got " + second[0].intValue() + ")");
        }
    }

    @Test
    void handlerDeregisteringAnotherFdNeverSeesThatFdsPendingEvent() throws Exception {
        FileDescriptor[] a = pipe();
        FileDescriptor[] b = pipe();
        long aToken = 71;
        long bToken = 72;
        source.register(a[0].intValue(), IN, aToken);
        source.register(b[0].intValue(), IN, bToken);
        write(a[1], 1);
        write(b[1], 1);
        source.park(PARK_SLICE_NANOS);
        long[] dropped = {0};
        RingTestRecorder rec = new RingTestRecorder((token, events) -> {
            if (dropped[0] == 0) {
                dropped[0] = token == aToken ? bToken : aToken;
                try {
                    source.deregister((token == aToken ? b : a)[0].intValue());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        drainUntil(rec, () -> dropped[0] != 0, "an event for either pipe");
        drainQuietly(rec);
        assertEquals(0, rec.count(dropped[0]), "the deregistered fd's event was delivered: " + rec);
        assertEquals(1, rec.size(), rec.toString());
    }

    @Test
    void handlerMayCloseAnotherFdAndReuseItsNumberWithinTheBatch() throws Exception {
        FileDescriptor[] a = pipe();
        FileDescriptor[] b = pipe();
        long aToken = 81;
        long bToken = 82;
        long cToken = 83;
        source.register(a[0].intValue(), IN, aToken);
        source.register(b[0].intValue(), IN, bToken);
        write(a[1], 1);
        write(b[1], 1);
        source.park(PARK_SLICE_NANOS);
        long[] dropped = {0};
        FileDescriptor[][] reused = new FileDescriptor[1][];
        RingTestRecorder rec = new RingTestRecorder((token, events) -> {
            if (dropped[0] != 0 || token == cToken) {
                return;
            }
            FileDescriptor[] other = token == aToken ? b : a;
            dropped[0] = token == aToken ? bToken : aToken;
            try {
                source.deregister(other[0].intValue());
                other[0].close();
                other[1].close();
                reused[0] = pipe(); // likely the numbers just closed
                source.register(reused[0][0].intValue(), IN, cToken);
                write(reused[0][1], 1);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        drainUntil(rec, () -> rec.count(cToken, IN) > 0, "IN for the pipe opened inside the handler");
        drainQuietly(rec);
        assertEquals(0, rec.count(dropped[0]), "an event for the closed fd was delivered: " + rec);
        assertEquals(1, rec.count(cToken), rec.toString());
        assertEquals(2, rec.size(), rec.toString());
    }

    // ---------------------------------------------------------------- park and wakeup

    @Test
    void wakeupFromAnotherThreadEndsAnInfinitePark() throws Exception {
        AtomicLong sentAt = new AtomicLong();
        try (Lifeline lifeline = new Lifeline(TimeUnit.SECONDS.toMillis(5))) {
            Thread waker = new Thread(() -> {
                sleep(200);
                sentAt.set(System.nanoTime());
                source.wakeup();
            }, "ring-test-waker");
            waker.start();
            long start = System.nanoTime();
            // A park may return early (spuriously); only the park that is current when wakeup() runs counts.
            while (sentAt.get() == 0 && !lifeline.fired() && System.nanoTime() - start < EVENT_TIMEOUT_NANOS) {
                source.park(-1);
            }
            long ended = System.nanoTime();
            waker.join();
            assertTrue(!lifeline.fired(), "park(-1) did not end on wakeup(): ended by the lifeline pipe");
            assertTrue(sentAt.get() != 0, "park(-1) kept returning before wakeup()");
            long lag = ended - sentAt.get();
            assertTrue(lag < TimeUnit.SECONDS.toNanos(2), "park ended " + lag / 1_000_000 + " ms after wakeup()");
        }
    }

    @Test
    void wakeupBeforeParkEndsTheNextParkAtOnce() throws Exception {
        try (Lifeline lifeline = new Lifeline(TimeUnit.SECONDS.toMillis(5))) {
            source.wakeup();
            long start = System.nanoTime();
            source.park(TimeUnit.SECONDS.toNanos(10));
            long took = System.nanoTime() - start;
            assertTrue(!lifeline.fired(), "the park was ended by the lifeline pipe, not by the earlier wakeup()");
            assertTrue(took < TimeUnit.SECONDS.toNanos(2), "park took " + took / 1_000_000 + " ms");
        }
    }

    @Test
    void wakeupAloneDeliversNothing() throws Exception {
        RingTestRecorder rec = new RingTestRecorder();
        for (int i = 0; i < 5; i++) {
            source.wakeup();
            source.park(TimeUnit.SECONDS.toNanos(1));
            assertEquals(0, source.drain(rec));
        }
        assertEquals(0, rec.size(), "wakeups are not events: " + rec);
    }

    @Test
    void repeatedWakeupsAreCheapAndHarmless() throws Exception {
        int threads = 2;
        int perThread = 100_000;
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    source.wakeup();
                }
                done.countDown();
            }, "ring-test-waker-" + t).start();
        }
        RingTestRecorder rec = new RingTestRecorder();
        while (done.getCount() > 0) {
            source.park(TimeUnit.MILLISECONDS.toNanos(1));
            source.drain(rec);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "wakeups too slow");
        }
        assertEquals(0, rec.size(), "wakeups are not events: " + rec);

        // The storm is over. A few wakeups may still be taken: a writer preempted between its entry and its
        // write can leave an edge behind one the loop already took, and a park takes one edge at a time. Within a
        // handful of parks one sleeps its whole slice, and from then on a park sleeps to its deadline again.
        int flushes = 0;
        for (long slept = 0; slept < PARK_SLICE_NANOS * 8 / 10; flushes++) {
            assertTrue(flushes < 8, "parks still end early after " + flushes + " of them: wakeups keep coming");
            long t = System.nanoTime();
            source.park(PARK_SLICE_NANOS);
            slept = System.nanoTime() - t;
            source.drain(rec);
        }
        long parkStart = System.nanoTime();
        source.park(TimeUnit.MILLISECONDS.toNanos(100));
        long took = System.nanoTime() - parkStart;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(80),
                "park(100 ms) after the wakeups took only " + took / 1000 + " us");
        assertEquals(0, source.drain(rec));

        // And wakeup still works afterwards.
        source.wakeup();
        long wakeStart = System.nanoTime();
        source.park(TimeUnit.SECONDS.toNanos(10));
        assertTrue(System.nanoTime() - wakeStart < TimeUnit.SECONDS.toNanos(2), "wakeup() stopped working");
    }

    @Test
    void parkEndsCloseToItsDeadline() throws Exception {
        long start = System.nanoTime();
        source.park(TimeUnit.MILLISECONDS.toNanos(50));
        long took = System.nanoTime() - start;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(40), "park(50 ms) took " + took / 1000 + " us");
        assertTrue(took < TimeUnit.SECONDS.toNanos(2), "park(50 ms) took " + took / 1_000_000 + " ms");
    }

    @Test
    void shortDeadlinesAreHonoured() throws Exception {
        long start = System.nanoTime();
        source.park(TimeUnit.MICROSECONDS.toNanos(200));
        long took = System.nanoTime() - start;
        assertTrue(took < TimeUnit.MILLISECONDS.toNanos(50), "park(200 us) took " + took / 1000 + " us");

        start = System.nanoTime();
        source.park(0);
        took = System.nanoTime() - start;
        assertTrue(took < TimeUnit.MILLISECONDS.toNanos(50), "park(0) took " + took / 1000 + " us");
    }

    @Test
    void hasReadyIsNeverTrueWhenDrainHasNothing() throws Exception {
        RingTestRecorder rec = new RingTestRecorder();
        drainQuietly(rec);
        assertTrue(!source.hasReady(), "an idle source has nothing ready");

        FileDescriptor[] p = pipe();
        long token = 91;
        source.register(p[0].intValue(), IN, token);
        write(p[1], 1);
        long deadline = System.nanoTime() + EVENT_TIMEOUT_NANOS;
        while (rec.count(token) == 0) {
            source.park(PARK_SLICE_NANOS);
            boolean ready = source.hasReady();
            int n = source.drain(rec);
            if (ready) {
                assertTrue(n > 0, "hasReady() said true, drain() delivered nothing");
            }
            assertTrue(System.nanoTime() - deadline < 0, "no event: " + rec);
        }
        drainQuietly(rec);
        assertTrue(!source.hasReady(), "everything was drained");
    }

    // ---------------------------------------------------------------- scale and steady state

    @Test
    void thousandsOfFdsEachDeliveredExactlyOnce() throws Exception {
        int pipes = Math.min(2000, ringSize() - 16);
        long limit = RingTestSockets.openFdLimit();
        long room = limit - RingTestSockets.openFdCount() - 128;
        if (room / 2 < pipes) {
            System.out.println("RLIMIT_NOFILE (ulimit -n) is " + limit + ": testing " + room / 2 + " pipes, not " + pipes);
            pipes = (int) Math.max(0, room / 2);
        }
        assumeTrue(pipes >= 100, "ulimit -n " + limit + " leaves room for only " + pipes + " pipes");

        FileDescriptor[][] all = new FileDescriptor[pipes][];
        for (int i = 0; i < pipes; i++) {
            all[i] = pipe();
            source.register(all[i][0].intValue(), IN, tokenOf(i));
        }
        for (int i = 0; i < pipes; i++) {
            write(all[i][1], 1);
        }
        RingTestRecorder rec = new RingTestRecorder();
        final int n = pipes;
        drainUntil(rec, () -> rec.distinctTokens() == n, n + " distinct tokens");
        drainQuietly(rec);
        assertEquals(n, rec.size(), "every token exactly once");
        for (Map.Entry<Long, Integer> e : rec.counts().entrySet()) {
            long i = e.getKey() - tokenOf(0);
            assertTrue(i >= 0 && i < n, "unknown token " + e.getKey());
            assertEquals(1, (int) e.getValue(), "deliveries of token " + e.getKey());
        }
        for (int i = 0; i < pipes; i++) {
            source.deregister(all[i][0].intValue());
        }
    }

    @Test
    void oneRegistrationKeepsDeliveringForAThousandRounds() throws Exception {
        FileDescriptor[] p = pipe();
        long token = 101;
        source.register(p[0].intValue(), IN, token);
        RingTestRecorder rec = new RingTestRecorder();
        int rounds = 1000;
        for (int round = 1; round <= rounds; round++) {
            write(p[1], 1);
            final int expected = round;
            drainUntil(rec, () -> rec.count(token) >= expected, "IN in round " + round);
            assertEquals(1, readAll(p[0]), "round " + round);
        }
        drainQuietly(rec);
        assertEquals(rounds, rec.count(token), "one event per write, no more, no fewer");
        assertEquals(rounds, rec.count(token, IN));
    }

    @Test
    void oneRegistrationKeepsDeliveringTcpPingPong() throws Exception {
        Socket[] pair = connectedPair();
        Socket server = pair[0];
        Socket client = pair[1];
        long sToken = 111;
        long cToken = 112;
        source.register(server.intValue(), IN | RDHUP, sToken);
        source.register(client.intValue(), IN | RDHUP, cToken);
        RingTestRecorder rec = new RingTestRecorder();
        for (int round = 1; round <= 1000; round++) {
            final int sBefore = rec.count(sToken, IN);
            write(client, 3);
            drainUntil(rec, () -> rec.count(sToken, IN) > sBefore, "server IN in round " + round);
            assertEquals(3, readAll(server), "round " + round);
            final int cBefore = rec.count(cToken, IN);
            write(server, 3);
            drainUntil(rec, () -> rec.count(cToken, IN) > cBefore, "client IN in round " + round);
            assertEquals(3, readAll(client), "round " + round);
        }
        assertEquals(0, (rec.union(sToken) | rec.union(cToken)) & (RDHUP | HUP | ERR), rec.toString());
    }

    // ---------------------------------------------------------------- resources

    @Test
    void closeReleasesTheSourcesFdsButNotTheRegisteredOnes() throws Exception {
        FileDescriptor[] p = pipe();
        Set<String> before = RingTestSockets.openFds();
        RingSource other = newSource();
        assertNotEquals(null, other);
        other.register(p[0].intValue(), IN, 121);
        write(p[1], 1);
        RingTestRecorder rec = new RingTestRecorder();
        long deadline = System.nanoTime() + EVENT_TIMEOUT_NANOS;
        while (rec.count(121) == 0 && System.nanoTime() - deadline < 0) {
            other.drain(rec);
            other.park(PARK_SLICE_NANOS);
        }
        assertEquals(1, rec.count(121), rec.toString());
        other.wakeup();
        other.park(PARK_SLICE_NANOS);
        other.close();
        other.close(); // idempotent
        other.wakeup(); // harmless after close
        Set<String> leftOpen = RingTestSockets.openFds();
        leftOpen.removeAll(before);
        assertEquals(Set.of(), leftOpen, "fds left open by close()");

        write(p[1], 1); // the registered pipe is still the caller's, and open
        assertEquals(2, readAll(p[0]));
    }

    // ---------------------------------------------------------------- helpers

    /** Token of the i-th fd in bulk tests. */
    protected static long tokenOf(int i) {
        return 1_000_000L + i;
    }

    /** A non-blocking pipe, closed after the test: {@code [read end, write end]}. */
    protected FileDescriptor[] pipe() throws IOException {
        FileDescriptor[] p = FileDescriptor.pipe();
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    /** A non-blocking eventfd with counter 0, closed after the test. */
    protected int eventFd() throws IOException {
        int fd = Errno.check("eventfd", Native.eventFd());
        rawFds.add(fd);
        return fd;
    }

    /** Closes {@code fd} after the test. */
    protected <T extends FileDescriptor> T keep(T fd) {
        fds.add(fd);
        return fd;
    }

    /** An established loopback TCP connection {@code [server end, client end]}, both non-blocking. */
    protected Socket[] connectedPair() throws Exception {
        Socket listener = keep(RingTestSockets.listen());
        Socket client = keep(RingTestSockets.connect(listener));
        Socket server = keep(RingTestSockets.accept(listener));
        return new Socket[] {server, client};
    }

    /** One drain into {@code rec}, checking that drain() counts what it delivered. */
    protected int drainOnce(RingTestRecorder rec) {
        int before = rec.size();
        int n = source.drain(rec);
        assertEquals(rec.size() - before, n, "drain() must return how many events it delivered");
        return n;
    }

    /** Drains and parks in short slices until {@code done} holds; fails after {@link #EVENT_TIMEOUT_NANOS}. */
    protected void drainUntil(RingTestRecorder rec, BooleanSupplier done, String what) throws IOException {
        long deadline = System.nanoTime() + EVENT_TIMEOUT_NANOS;
        for (;;) {
            drainOnce(rec);
            if (done.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what + "; got " + rec);
            }
            source.park(PARK_SLICE_NANOS);
        }
    }

    /** Drains and parks for {@link #QUIET_NANOS}, collecting whatever arrives. */
    protected void drainQuietly(RingTestRecorder rec) throws IOException {
        long end = System.nanoTime() + QUIET_NANOS;
        do {
            drainOnce(rec);
            source.park(PARK_SLICE_NANOS);
        } while (System.nanoTime() - end < 0);
        drainOnce(rec);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A registered pipe that a watchdog thread writes to after a delay, so that a park that
     * {@code wakeup()} fails to end still ends (and the test fails instead of hanging).
     */
    private final class Lifeline implements AutoCloseable {
        private static final long TOKEN = Long.MIN_VALUE;
        private final FileDescriptor[] pipe;
        private final CountDownLatch cancelled = new CountDownLatch(1);
        private final Thread thread;
        private volatile boolean fired;

        Lifeline(long afterMillis) throws IOException {
            pipe = pipe();
            source.register(pipe[0].intValue(), IN, TOKEN);
            thread = new Thread(() -> {
                try {
                    if (!cancelled.await(afterMillis, TimeUnit.MILLISECONDS)) {
                        fired = true;
                        write(pipe[1], 1);
                    }
                } catch (InterruptedException | IOException ignore) {
                    // the test reports what went wrong
                }
            }, "ring-test-lifeline");
            thread.start();
        }

        boolean fired() {
            return fired;
        }

        @Override
        public void close() throws Exception {
            cancelled.countDown();
            thread.join();
            source.deregister(pipe[0].intValue());
        }
    }
}
