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
 * {@link IoUringSocketBatch}: every operation completes inside the one submitting call, in queue order;
 * a cancelled operation never touches its socket; completion handlers queue the next batch.
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

    /** Records completions as "recv:res" / "send:res", in delivery order. */
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

    private static long address(ByteBuffer buf) {
        return Native.bufferAddress(buf);
    }

    @Test
    void isAvailableOnThisKernel() {
        assertNull(IoUringSocketBatch.unavailabilityCause());
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
        ByteBuffer reply = direct(16);
        reply.put("pong!".getBytes(StandardCharsets.US_ASCII)).flip();
        assertTrue(batch.queueRecv(quiet.fd(), address(quietBuf), 64, new Recorder("quiet", log)));
        assertTrue(batch.queueRecv(talking.fd(), address(talkBuf), 64, new Recorder("talking", log)));
        assertTrue(batch.addIov(address(reply), 5));
        assertTrue(batch.queueSendmsg(listening.fd(), new Recorder("listening", log)));
        assertEquals(3, batch.queued());

        assertEquals(3, batch.submitAndComplete());

        assertEquals(List.of("quiet recv " + -Native.EAGAIN, "talking recv 5", "listening send 5"), log);
        assertEquals(1, batch.submits());
        assertEquals(0, batch.queued());
        byte[] got = new byte[5];
        talkBuf.get(0, got);
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), got);
        byte[] sent = listening.peer.getInputStream().readNBytes(5);
        assertArrayEquals("pong!".getBytes(StandardCharsets.US_ASCII), sent);
    }

    @Test
    void sendmsgGathersEveryIovecInOrder() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        String[] parts = {"one,", "two,", "three"};
        for (String part : parts) {
            ByteBuffer buf = direct(part.length());
            buf.put(part.getBytes(StandardCharsets.US_ASCII)).flip();
            assertTrue(batch.addIov(address(buf), part.length()));
        }
        assertEquals(3, batch.iovCount());
        assertEquals(13, batch.iovBytes());
        assertTrue(batch.queueSendmsg(pair.fd(), new Recorder("p", log)));
        batch.submitAndComplete();
        assertEquals(List.of("p send 13"), log);
        assertEquals("one,two,three",
                new String(pair.peer.getInputStream().readNBytes(13), StandardCharsets.US_ASCII));
    }

    @Test
    void aCancelledOperationNeverTouchesItsSocket() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        pair.peer.getOutputStream().write(new byte[] {1, 2, 3});
        Thread.sleep(20);
        Recorder cancelled = new Recorder("cancelled", log);
        ByteBuffer buf = direct(16);
        assertTrue(batch.queueRecv(pair.fd(), address(buf), 16, cancelled));
        batch.cancel(cancelled);

        batch.submitAndComplete();

        assertTrue(log.isEmpty(), log.toString());
        // The bytes are still in the socket: the recv became a NOP.
        assertEquals(3, IoUringTestSupport.readAll(pair.accepted));
    }

    @Test
    void aCompletionHandlerQueuesIntoTheNextBatchAndCancellingALaterCompletionDeliversItAtOnce() throws Exception {
        TcpPair a = pair();
        TcpPair b = pair();
        List<String> log = new ArrayList<>();
        ByteBuffer bufA = direct(16);
        ByteBuffer bufB = direct(16);
        Recorder second = new Recorder("b", log);
        // a's handler cancels b (as closing b's channel would: b hears what its recv did, now, before it goes)
        // and queues a send for the next batch.
        IoUringSocketBatch.Completion first = new Recorder("a", log) {
            @Override
            public void recvCompleted(int res) {
                super.recvCompleted(res);
                batch.cancel(second);
                log.add("b cancelled");
                ByteBuffer reply = direct(2);
                reply.put(new byte[] {'o', 'k'}).flip();
                batch.addIov(address(reply), 2);
                assertTrue(batch.queueSendmsg(a.fd(), new Recorder("a", log)));
            }
        };
        assertTrue(batch.queueRecv(a.fd(), address(bufA), 16, first));
        assertTrue(batch.queueRecv(b.fd(), address(bufB), 16, second));

        assertEquals(1, batch.submitAndComplete());
        List<String> firstPass = List.of("a recv " + -Native.EAGAIN, "b recv " + -Native.EAGAIN, "b cancelled");
        assertEquals(firstPass, log);
        assertEquals(1, batch.queued());

        assertEquals(1, batch.submitAndComplete());
        assertEquals(List.of(firstPass.get(0), firstPass.get(1), firstPass.get(2), "a send 2"), log);
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
        ByteBuffer buf = direct(16);
        ByteBuffer buf2 = direct(16);
        assertTrue(batch.queueRecv(reset.fd(), address(buf), 16, new Recorder("reset", log)));
        assertTrue(batch.queueRecv(closed.fd(), address(buf2), 16, new Recorder("closed", log)));
        batch.submitAndComplete();
        assertEquals(List.of("reset recv " + Errors.ERRNO_ECONNRESET_NEGATIVE, "closed recv 0"), log);
    }

    @Test
    void aFullSocketBufferAnswersEagainInsteadOfWaiting() throws Exception {
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        ByteBuffer big = direct(1 << 20);
        int sent = 0;
        for (int round = 0; round < 64 && !log.contains("p send " + -Native.EAGAIN); round++) {
            batch.addIov(address(big), big.capacity());
            assertTrue(batch.queueSendmsg(pair.fd(), new Recorder("p", log)));
            long start = System.nanoTime();
            batch.submitAndComplete();
            assertTrue(System.nanoTime() - start < 5_000_000_000L, "a send waited for room");
            sent++;
        }
        assertTrue(log.contains("p send " + -Native.EAGAIN), "the peer never read, yet no EAGAIN: " + log);
        assertFalse(sent == 0);
    }

    /** Skips (with the reason) on a kernel without IORING_FEAT_MIN_TIMEOUT, where a park only submits. */
    private void assumeCanPark() {
        assumeTrue(batch.canPark(), "the kernel lacks IORING_FEAT_MIN_TIMEOUT (Linux 6.12): no park with queued I/O");
    }

    private int queueSend(TcpPair pair, String text, List<String> log) {
        ByteBuffer buf = direct(text.length());
        buf.put(text.getBytes(StandardCharsets.US_ASCII)).flip();
        assertTrue(batch.addIov(address(buf), text.length()));
        assertTrue(batch.queueSendmsg(pair.fd(), new Recorder("p", log)));
        return text.length();
    }

    @Test
    void aParkWithNothingToWakeItEndsAfterTheWindowWithTheSendDoneAndHeldForDelivery() throws Exception {
        assumeCanPark();
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        int efd = Native.eventFd();
        try {
            int len = queueSend(pair, "reply", log);
            long start = System.nanoTime();
            batch.submitAndPark(efd, 30_000_000_000L, 2_000);
            long took = System.nanoTime() - start;
            // Ended by the 2 ms window, not the 30 s limit: nothing made the eventfd readable.
            assertTrue(took < 10_000_000_000L, "the park ignored its window: " + took / 1_000_000 + " ms");
            assertTrue(log.isEmpty(), "delivered before deliverCompleted(): " + log);
            assertEquals("reply", new String(pair.peer.getInputStream().readNBytes(len), StandardCharsets.US_ASCII));
            assertEquals(1, batch.deliverCompleted());
            assertEquals(List.of("p send " + len), log);
        } finally {
            Native.close(efd);
        }
    }

    @Test
    void aParkEndsWhenItsFdTurnsReadableAndItsPollIsReusedUntilThen() throws Exception {
        assumeCanPark();
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        int efd = Native.eventFd();
        try {
            queueSend(pair, "a", log);
            batch.submitAndPark(efd, 30_000_000_000L, 1_000); // the window ends it; the poll stays armed
            batch.deliverCompleted();

            Thread writer = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Native.eventFdWrite(efd, 1);
            });
            queueSend(pair, "b", log);
            writer.start();
            // A 20 s window: only the eventfd (polled by the poll armed in the first park) can end this one soon.
            long start = System.nanoTime();
            batch.submitAndPark(efd, 30_000_000_000L, 20_000_000);
            long took = System.nanoTime() - start;
            writer.join();
            assertTrue(took < 10_000_000_000L, "the eventfd write did not end the park: " + took / 1_000_000 + " ms");
            batch.deliverCompleted();
            assertEquals(List.of("p send 1", "p send 1"), log);
            assertEquals("ab", new String(pair.peer.getInputStream().readNBytes(2), StandardCharsets.US_ASCII));

            // Still readable: the next park's fresh poll completes at once.
            queueSend(pair, "c", log);
            start = System.nanoTime();
            batch.submitAndPark(efd, 30_000_000_000L, 20_000_000);
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "a readable fd did not end the park");
        } finally {
            Native.close(efd);
        }
    }

    @Test
    void aParkOnTheIoUringSourceEndsOnItsWakeupAndOnReadiness() throws Exception {
        assumeCanPark();
        TcpPair pair = pair();
        List<String> log = new ArrayList<>();
        try (IoUringPollRing source = new IoUringPollRing(64)) {
            source.register(pair.fd(), Native.EPOLLIN, 7);
            IoUringTestSupport.collectUntil(source, events -> true); // the registration's initial completions
            // A wakeup before the park: the source says do not sleep.
            source.wakeup();
            assertFalse(source.beginExternalPark());
            source.endExternalPark();
            IoUringTestSupport.collectNow(source);

            Thread waker = new Thread(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                source.wakeup();
            });
            queueSend(pair, "x", log);
            assertTrue(source.beginExternalPark());
            waker.start();
            long start = System.nanoTime();
            batch.submitAndPark(source.parkFd(), 30_000_000_000L, 20_000_000);
            source.endExternalPark();
            waker.join();
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "wakeup() did not end the park");
            assertEquals(1, batch.deliverCompleted());
            IoUringTestSupport.collectNow(source);

            queueSend(pair, "y", log);
            assertTrue(source.beginExternalPark());
            pair.peer.getOutputStream().write(1); // readiness for the registered socket
            start = System.nanoTime();
            batch.submitAndPark(source.parkFd(), 30_000_000_000L, 20_000_000);
            source.endExternalPark();
            assertTrue(System.nanoTime() - start < 10_000_000_000L, "readiness did not end the park");
            assertTrue(IoUringTestSupport.contains(IoUringTestSupport.collectUntil(source, events -> !events.isEmpty()),
                    7, Native.EPOLLIN));
            batch.deliverCompleted();
            assertEquals(List.of("p send 1", "p send 1"), log);
        }
    }
}
