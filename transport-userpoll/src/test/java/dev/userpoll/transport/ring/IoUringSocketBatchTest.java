package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.ring.IoUringTestSupport.TcpPair;
import io.netty.channel.unix.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link IoUringSocketBatch} on a ring of its own: every operation completes inside the one submitting call, in
 * queue order; a withdrawn operation never touches its socket and is never delivered; completion handlers queue
 * the next batch. And in the io_uring source's ring: the source's flush or park submits the operations, its
 * drain delivers their completions, and a park with queued sends holds their completions at most its window.
 */
class IoUringSocketBatchTest {
    private IoUringSocketBatch batch;
    private final List<TcpPair> pairs = new ArrayList<>();
    private final List<ByteBuffer> buffers = new ArrayList<>();

    @BeforeAll
    static void requireIoUring() {
        IoUringTestSupport.assumeIoUring();
    }

    @BeforeEach
    void open() throws Exception {
        batch = IoUringSocketBatch.open(16);
    }

    @AfterEach
    void close() throws Exception {
        batch.close();
        for (TcpPair pair : pairs) {
            pair.close();
        }
    }

    /** Records completions as "name recv res" / "name send res", in delivery order. */
    private static class Recorder implements IoUringSocketBatch.Completion {
        final String name;
        final List<String> log;

        Recorder(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public void recvCompleted(int res) {
            log.add(name + " recv " + res);
        }

        @Override
        public void sendCompleted(int res) {
            log.add(name + " send " + res);
        }
    }

    private TcpPair pair() throws Exception {
        TcpPair pair = TcpPair.open();
        pairs.add(pair);
        return pair;
    }

    private ByteBuffer direct(int size) {
        ByteBuffer buf = ByteBuffer.allocateDirect(size);
        buffers.add(buf);
        return buf;
    }

    private ByteBuffer text(String text) {
        ByteBuffer buf = direct(text.length());
        buf.put(text.getBytes(StandardCharsets.US_ASCII)).flip();
        return buf;
    }

    /** A {@code struct iovec} array over the whole of each buffer; returns its address. */
    private long iovecs(ByteBuffer... parts) {
        ByteBuffer iov = direct(16 * parts.length).order(ByteOrder.nativeOrder());
        for (ByteBuffer part : parts) {
            iov.putLong(address(part)).putLong(part.remaining());
        }
        return address(iov);
    }

    private static long address(ByteBuffer buf) {
        return io.netty.channel.unix.Buffer.memoryAddress(buf);
    }

    private boolean queueSend(IoUringSocketBatch b, TcpPair pair, String text, IoUringSocketBatch.Completion to) {
        return b.queueSendmsg(pair.fd(), iovecs(text(text)), 1, to);
    }

    @Test
    void isAvailableOnThisKernel() {
        assertNull(IoUringBatchProbe.unavailabilityCause());
    }

    @Test
    void recvsAndSendsOfManySocketsCompleteInOneSubmitInQueueOrder() throws Exception {
        List<String> log = new ArrayList<>();
        TcpPair quiet = pair();
        TcpPair talking = pair();
        TcpPair listening = pair();
        talking.peer.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(20); // loopback delivers at once; the sleep only makes it certain

        ByteBuffer quietBuf = direct(64);
        ByteBuffer talkBuf = direct(64);
        assertTrue(batch.queueRecv(quiet.fd(), address(quietBuf), 64, new Recorder("quiet", log)));
        assertTrue(batch.queueRecv(talking.fd(), address(talkBuf), 64, new Recorder("talking", log)));
        assertTrue(queueSend(batch, listening, "pong!", new Recorder("listening", log)));
        assertEquals(3, batch.queued());

        assertEquals(3, batch.submitAndComplete());

        assertEquals(List.of("quiet recv " + -Native.EAGAIN, "talking recv 5", "listening send 5"), log);
        assertEquals(1, batch.submits());
        assertEquals(0, batch.queued());
        byte[] got = new byte[5];
        talkBuf.get(0, got);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), got);
        assertArrayEquals("pong!".getBytes(StandardCharsets.US_ASCII), listening.peer.getInputStream().readNBytes(5));
    }

    @Test
    void sendmsgGathersEveryIovecInOrderAndTheCallerMayReuseItsIovecsAtOnce() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        long iov = iovecs(text("one,"), text("two,"), text("three"));
        assertTrue(batch.queueSendmsg(pair.fd(), iov, 3, new Recorder("p", log)));
        // The batch copied the iovecs: clobbering the caller's array now must not change what is sent.
        ByteBuffer scratch = buffers.get(buffers.size() - 1);
        for (int i = 0; i < scratch.capacity(); i++) {
            scratch.put(i, (byte) 0);
        }
        batch.submitAndComplete();
        assertEquals(List.of("p send 13"), log);
        assertEquals("one,two,three",
                new String(pair.peer.getInputStream().readNBytes(13), StandardCharsets.US_ASCII));
    }

    @Test
    void aWithdrawnOperationNeverTouchesItsSocketAndIsNeverDelivered() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        pair.peer.getOutputStream().write(new byte[] {1, 2, 3});
        Thread.sleep(20);
        Recorder withdrawn = new Recorder("withdrawn", log);
        assertTrue(batch.queueRecv(pair.fd(), address(direct(16)), 16, withdrawn));
        assertTrue(queueSend(batch, pair, "never", withdrawn));

        assertEquals(IoUringSocketBatch.SEND_UNSENT, batch.withdraw(withdrawn));
        assertEquals(0, batch.queued());
        batch.submitAndComplete();

        assertTrue(log.isEmpty(), log.toString());
        // The bytes are still in the socket, and nothing reached the peer: both operations became NOPs.
        assertEquals(3, IoUringTestSupport.readAll(pair.accepted));
        pair.peer.setSoTimeout(100);
        assertThrows(java.net.SocketTimeoutException.class, () -> pair.peer.getInputStream().read());
    }

    @Test
    void aHandlerQueuesIntoTheNextBatchAndAWithdrawnCompletionReportsItsResultButIsNotDelivered() throws Exception {
        TcpPair a = pair();
        TcpPair b = pair();
        List<String> log = new ArrayList<>();
        Recorder second = new Recorder("b", log);
        int[] withdrawnSend = new int[1];
        // a's handler withdraws b (as closing b's channel would) after both ran, and queues a reply for the next batch.
        IoUringSocketBatch.Completion first = new Recorder("a", log) {
            @Override
            public void recvCompleted(int res) {
                super.recvCompleted(res);
                withdrawnSend[0] = batch.withdraw(second);
                assertTrue(queueSend(batch, a, "ok", new Recorder("a", log)));
            }
        };
        assertTrue(batch.queueRecv(a.fd(), address(direct(16)), 16, first));
        assertTrue(queueSend(batch, b, "bye", second));

        assertEquals(1, batch.submitAndComplete());
        assertEquals(List.of("a recv " + -Native.EAGAIN), log);
        assertEquals(3, withdrawnSend[0], "b's send ran before the withdrawal: its result is reported");
        assertEquals("bye", new String(b.peer.getInputStream().readNBytes(3), StandardCharsets.US_ASCII));
        assertEquals(1, batch.queued());

        assertEquals(1, batch.submitAndComplete());
        assertEquals(List.of("a recv " + -Native.EAGAIN, "a send 2"), log);
        InputStream in = a.peer.getInputStream();
        assertArrayEquals(new byte[] {'o', 'k'}, in.readNBytes(2));
    }

    @Test
    void errorsComeBackAsNegativeErrnoAndEndOfStreamAsZero() throws Exception {
        TcpPair reset = pair();
        TcpPair closed = pair();
        List<String> log = new ArrayList<>();
        reset.peer.setSoLinger(true, 0);
        reset.peer.close(); // RST
        closed.peer.shutdownOutput(); // FIN
        Thread.sleep(20);
        assertTrue(batch.queueRecv(reset.fd(), address(direct(16)), 16, new Recorder("reset", log)));
        assertTrue(batch.queueRecv(closed.fd(), address(direct(16)), 16, new Recorder("closed", log)));
        batch.submitAndComplete();
        assertEquals(List.of("reset recv " + Errors.ERRNO_ECONNRESET_NEGATIVE, "closed recv 0"), log);
    }

    @Test
    void aFullSocketBufferAnswersEagainInsteadOfWaiting() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        ByteBuffer big = direct(1 << 20);
        long iov = iovecs(big);
        int sent = 0;
        for (int round = 0; round < 64 && !log.contains("p send " + -Native.EAGAIN); round++) {
            assertTrue(batch.queueSendmsg(pair.fd(), iov, 1, new Recorder("p", log)));
            long start = System.nanoTime();
            batch.submitAndComplete();
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "a send waited for room");
            sent++;
        }
        assertTrue(log.contains("p send " + -Native.EAGAIN), "the peer never read, yet no EAGAIN: " + log);
        assertFalse(sent == 0);
    }

    @Test
    void aFullBatchRefusesMoreOperationsInsteadOfOverwritingQueuedOnes() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        int accepted = 0;
        while (batch.queueRecv(pair.fd(), address(direct(8)), 8, new Recorder("r" + accepted, log))) {
            accepted++;
            assertTrue(accepted <= 64, "the batch never filled up");
        }
        assertEquals(accepted, batch.queued());
        assertEquals(accepted, batch.submitAndComplete());
        assertEquals(accepted, log.size());
    }

    // ---- in the io_uring source's ring

    @Test
    void inTheSourcesRingTheFlushSubmitsAndTheDrainDelivers() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        try (IoUringPollRing source = new IoUringPollRing(64)) {
            IoUringSocketBatch shared = source.openSocketBatch(16, 50);
            assertTrue(shared.isShared());
            pair.peer.getOutputStream().write("abc".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(20);
            assertTrue(shared.queueRecv(pair.fd(), address(direct(16)), 16, new Recorder("p", log)));
            assertFalse(source.hasReady());

            source.flush();

            assertEquals(0, shared.queued());
            assertTrue(log.isEmpty(), "delivered before the drain: " + log);
            assertTrue(source.hasReady(), "the completion waits in the CQ");
            assertEquals(1, source.drain((token, events) -> log.add("readiness " + token)));
            assertEquals(List.of("p recv 3"), log);
            assertFalse(source.hasReady());
        }
    }

    private static void assumeCanPark(IoUringPollRing source) {
        assertTrue(source.canParkWithQueuedIo(), "a parking loop's source parks with queued sends");
    }

    @Test
    void aQueuedRecvIsNeverHeldBackByAPark() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        try (IoUringPollRing source = new IoUringPollRing(64)) {
            IoUringSocketBatch shared = source.openSocketBatch(16, 20_000_000); // a 20 s window
            assertTrue(queueSend(shared, pair, "s", new Recorder("p", log)));
            assertTrue(source.canParkWithQueuedIo(), "sends alone may wait in a park");
            assertTrue(shared.queueRecv(pair.fd(), address(direct(8)), 8, new Recorder("p", log)));
            assertFalse(source.canParkWithQueuedIo(), "a recv's data must not wait for the window");
            source.flush();
            assertFalse(shared.queued() != 0);
            assertTrue(source.canParkWithQueuedIo());
            source.drain((token, events) -> { });
            assertEquals(List.of("p send 1", "p recv " + -Native.EAGAIN), log);
        }
    }

    @Test
    void aParkWithQueuedSendsSendsThemAtOnceAndEndsAfterItsWindow() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        try (IoUringPollRing source = new IoUringPollRing(64)) {
            IoUringSocketBatch shared = source.openSocketBatch(16, 2_000);
            assumeCanPark(source);
            assertTrue(queueSend(shared, pair, "reply", new Recorder("p", log)));
            long start = System.nanoTime();
            source.park(30_000_000_000L);
            long took = System.nanoTime() - start;
            // Ended by the 2 ms window, not the 30 s limit: nothing else was ready.
            assertTrue(took < 10_000_000_000L, "the park ignored its window: " + took / 1_000_000 + " ms");
            assertEquals(1, shared.parkingSubmits());
            assertTrue(log.isEmpty(), "delivered before the drain: " + log);
            assertEquals("reply", new String(pair.peer.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
            assertEquals(1, source.drain((token, events) -> { }));
            assertEquals(List.of("p send 5"), log);
        }
    }

    @Test
    void aParkWithQueuedSendsEndsOnAWakeupAndOnReadiness() throws Exception {
        TcpPair pair = pair();
        TcpPair watched = pair();
        List<String> log = new ArrayList<>();
        try (IoUringPollRing source = new IoUringPollRing(64)) {
            IoUringSocketBatch shared = source.openSocketBatch(16, 20_000_000); // a 20 s window
            assumeCanPark(source);
            source.register(watched.fd(), Native.EPOLLIN, 7);
            IoUringTestSupport.collectNow(source);

            Thread waker = IoUringTestSupport.wakeAfter(source, 50);
            assertTrue(queueSend(shared, pair, "x", new Recorder("p", log)));
            long start = System.nanoTime();
            source.park(30_000_000_000L);
            waker.join();
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "wakeup() did not end the park");
            IoUringTestSupport.collectNow(source);
            assertEquals(List.of("p send 1"), log);

            assertTrue(queueSend(shared, pair, "y", new Recorder("p", log)));
            watched.peer.getOutputStream().write(1); // readiness for the registered socket
            start = System.nanoTime();
            source.park(30_000_000_000L);
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "readiness did not end the park");
            assertTrue(IoUringTestSupport.contains(IoUringTestSupport.collectUntil(source, events -> !events.isEmpty()),
                    7, Native.EPOLLIN));
            assertEquals(List.of("p send 1", "p send 1"), log);
            assertEquals("xy", new String(pair.peer.getInputStream().readNBytes(2), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void aWithdrawalInTheDrainFindsASubmittedSendsResultInTheCq() throws Exception {
        TcpPair a = pair();
        TcpPair b = pair();
        List<String> log = new ArrayList<>();
        try (IoUringPollRing source = new IoUringPollRing(64)) {
            IoUringSocketBatch shared = source.openSocketBatch(16, 50);
            Recorder second = new Recorder("b", log);
            int[] withdrawn = new int[1];
            IoUringSocketBatch.Completion first = new Recorder("a", log) {
                @Override
                public void sendCompleted(int res) {
                    super.sendCompleted(res);
                    withdrawn[0] = shared.withdraw(second);
                }
            };
            assertTrue(queueSend(shared, a, "aa", first));
            assertTrue(queueSend(shared, b, "bbb", second));
            source.flush();
            source.drain((token, events) -> { });
            assertEquals(List.of("a send 2"), log);
            assertEquals(3, withdrawn[0]);
            assertFalse(source.hasReady(), "the withdrawn completion is not deliverable");
            assertEquals("bbb", new String(b.peer.getInputStream().readNBytes(3), StandardCharsets.US_ASCII));
        }
    }

    private static void assertThrows(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(type, e);
    }
}
