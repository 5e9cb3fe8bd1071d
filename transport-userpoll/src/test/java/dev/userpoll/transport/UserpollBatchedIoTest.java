package dev.userpoll.transport;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What batching is for: the reads and writes of many sockets in one pass reach the kernel in one call. */
class UserpollBatchedIoTest {

    @Test
    void theReadsOfManyReadySocketsGoToTheKernelInOneSubmitAndTheirRepliesInAnother() throws Exception {
        Throwable cause = IoSubmitter.BATCHED.unavailabilityCause();
        assumeTrue(cause == null, () -> "batched I/O is unavailable here: " + cause);
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        List<IoHandler> handlers = new CopyOnWriteArrayList<>();
        IoHandlerFactory base = UserpollIoHandler.newFactory(
                new UserpollIoHandlerConfig().setRingSource(RingSourceKind.EPOLL).setIoSubmitter(IoSubmitter.BATCHED));
        IoHandlerFactory recording = executor -> {
            IoHandler h = base.newHandler(executor);
            handlers.add(h);
            return h;
        };
        EventLoopGroup server = new MultiThreadIoEventLoopGroup(1, recording);
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            int connections = 32;
            CountDownLatch accepted = new CountDownLatch(connections);
            Channel listener = EchoHarness.startEchoServer(server, sb -> sb.childHandler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(EchoHarness.Echo.INSTANCE);
                    accepted.countDown();
                }
            }));
            AtomicInteger echoed = new AtomicInteger();
            CountDownLatch allEchoed = new CountDownLatch(connections);
            List<Channel> peers = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                peers.add(new Bootstrap().group(clients).channel(NioSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                echoed.addAndGet(((ByteBuf) msg).readableBytes());
                                ((ByteBuf) msg).release();
                                allEchoed.countDown();
                            }
                        }).connect(listener.localAddress()).sync().channel());
            }
            // Every connection accepted and registered first, so that the held loop has nothing else to do after.
            assertTrue(accepted.await(10, TimeUnit.SECONDS));
            UserpollIoHandler handler = (UserpollIoHandler) handlers.get(0);
            assertSame(IoSubmitter.BATCHED, handler.ioSubmitter());
            IoUringSocketBatch batch = handler.socketBatch();
            long submitsBefore = server.next().submit(batch::submits).get();
            long operationsBefore = server.next().submit(batch::operations).get();
            // Every peer writes while the server loop is held busy, so that one drain finds all 32 sockets readable.
            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch held = new CountDownLatch(1);
            server.next().execute(() -> {
                held.countDown();
                try {
                    written.await(10, TimeUnit.SECONDS);
                    Thread.sleep(100); // the last bytes reach the server's sockets (loopback: microseconds)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(held.await(10, TimeUnit.SECONDS));
            List<ChannelFuture> writes = new ArrayList<>();
            for (Channel peer : peers) {
                writes.add(peer.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
            }
            for (ChannelFuture write : writes) {
                assertTrue(write.await(10, TimeUnit.SECONDS) && write.isSuccess(), "a peer's write failed: " + write);
            }
            written.countDown();
            assertTrue(allEchoed.await(10, TimeUnit.SECONDS), "echoed " + echoed.get() + " bytes");
            assertEquals(8 * connections, echoed.get());

            long submits = server.next().submit(batch::submits).get() - submitsBefore;
            long operations = server.next().submit(batch::operations).get() - operationsBefore;
            // 32 recvs and 32 sendmsgs; held back, they come in a handful of submits, not 64 system calls.
            assertTrue(operations >= 2L * connections, "operations " + operations);
            assertTrue(submits * 8 <= operations, submits + " submits for " + operations + " operations");
            for (Channel peer : peers) {
                peer.close().sync();
            }
        } finally {
            clients.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            server.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void preferredIsBatchedWhereItWorksAndThePropertyOverridesIt() {
        IoSubmitter expected = IoSubmitter.BATCHED.isAvailable() ? IoSubmitter.BATCHED : IoSubmitter.DIRECT;
        String old = System.getProperty(IoSubmitter.PROPERTY);
        try {
            System.clearProperty(IoSubmitter.PROPERTY);
            assertSame(expected, IoSubmitter.preferred());
            System.setProperty(IoSubmitter.PROPERTY, "direct");
            assertSame(IoSubmitter.DIRECT, IoSubmitter.preferred());
            System.setProperty(IoSubmitter.PROPERTY, "batched,direct");
            assertSame(expected, IoSubmitter.preferred());
        } finally {
            if (old == null) {
                System.clearProperty(IoSubmitter.PROPERTY);
            } else {
                System.setProperty(IoSubmitter.PROPERTY, old);
            }
        }
    }

    /**
     * The sources whose park can submit queued sends: io_uring (the batch shares its ring), userpoll (the batch's own
     * ring polls the epoll fd beside the sends; on this kernel only through the emulated kernel's doorbell).
     */
    static java.util.stream.Stream<String> parkingSources() {
        return java.util.stream.Stream.of("io_uring", "userpoll", "emulated-v3", "emulated-v5");
    }

    private static IoHandlerFactory parkingFactory(String source) {
        switch (source) {
            case "io_uring":
            case "userpoll":
                RingSourceKind kind = RingSourceKind.fromConfigName(source);
                TestRingSources.assumeAvailable(kind);
                return UserpollIoHandler.newFactory(new UserpollIoHandlerConfig()
                        .setRingSource(kind).setIoSubmitter(IoSubmitter.BATCHED));
            case "emulated-v3":
                return EmulatedUserpoll.ioHandlerFactory(dev.userpoll.transport.ring.UserpollProtocol.V3,
                        IoSubmitter.BATCHED);
            case "emulated-v5":
                return EmulatedUserpoll.ioHandlerFactory(dev.userpoll.transport.ring.UserpollProtocol.V5,
                        IoSubmitter.BATCHED);
            default:
                throw new IllegalArgumentException(source);
        }
    }

    /** A server loop with batched I/O on {@code source}, its batch, and the group to shut down. */
    private static final class ParkingServer implements AutoCloseable {
        final EventLoopGroup group;
        final IoUringSocketBatch batch;
        final Channel listener;

        ParkingServer(String source, ChannelInboundHandlerAdapter childHandler) throws Exception {
            Throwable cause = IoSubmitter.BATCHED.unavailabilityCause();
            assumeTrue(cause == null, () -> "batched I/O is unavailable here: " + cause);
            List<IoHandler> handlers = new CopyOnWriteArrayList<>();
            IoHandlerFactory base = parkingFactory(source);
            group = new MultiThreadIoEventLoopGroup(1, executor -> {
                IoHandler h = base.newHandler(executor);
                handlers.add(h);
                return h;
            });
            listener = EchoHarness.startEchoServer(group, sb -> sb.childHandler(childHandler));
            UserpollIoHandler handler = (UserpollIoHandler) handlers.get(0);
            batch = handler.socketBatch();
            // Every kernel io_uring runs on: the park's own timeout bounds the hold, no min-wait needed.
            assertTrue(group.next().submit(handler::parksWithQueuedIo).get(), "a parking loop parks with its sends");
        }

        long parkingSubmits() throws Exception {
            return group.next().submit(batch::parkingSubmits).get();
        }

        @Override
        public void close() throws Exception {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @ParameterizedTest
    @MethodSource("parkingSources")
    void aReplyWrittenLastGoesToTheKernelInTheCallThatParks(String source) throws Exception {
        try (ParkingServer server = new ParkingServer(source, EchoHarness.Echo.INSTANCE);
             java.net.Socket client = new java.net.Socket()) {
            client.connect(server.listener.localAddress(), 5000);
            client.setSoTimeout(10_000);
            long before = server.parkingSubmits();
            int rounds = 40;
            for (int i = 0; i < rounds; i++) {
                client.getOutputStream().write(new byte[] {(byte) i, 1, 2, 3});
                byte[] echo = client.getInputStream().readNBytes(4);
                assertEquals((byte) i, echo[0]);
                Thread.sleep(2); // the loop has nothing else to do: it parks with the reply's send queued
            }
            long parked = server.parkingSubmits() - before;
            // Each reply is the last thing its pass queued; tasks or events arriving meanwhile may take a few.
            assertTrue(parked >= rounds / 2, parked + " of " + rounds + " replies went out in the parking call");
        }
    }

    /** Replies once, then closes from the write's listener: the listener waits for the send's completion. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class ReplyThenClose extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.writeAndFlush(msg).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
    }

    @ParameterizedTest
    @MethodSource("parkingSources")
    void aWriteListenerRunsSoonAlthoughTheSendWentOutInTheCallThatParks(String source) throws Exception {
        try (ParkingServer server = new ParkingServer(source, new ReplyThenClose());
             java.net.Socket client = new java.net.Socket()) {
            client.connect(server.listener.localAddress(), 5000);
            client.setSoTimeout(10_000);
            // Asking the loop for its count is a task, and a task wakes the loop: ask first. Then let that wakeup and
            // the accepted socket's first events (the emulated kernel publishes them from its own thread) land, so
            // that the reply's pass does not find them in the ring and skip the park.
            long before = server.parkingSubmits();
            Thread.sleep(100);
            client.getOutputStream().write(new byte[] {7, 7});
            assertEquals(7, client.getInputStream().read());
            assertEquals(7, client.getInputStream().read());
            // Nothing else will wake the server loop: only the park's window lets the CLOSE listener run.
            long start = System.nanoTime();
            assertEquals(-1, client.getInputStream().read(), "the server closed after its reply");
            assertTrue(System.nanoTime() - start < 5_000_000_000L);
            assertTrue(server.parkingSubmits() > before, "the reply was not sent by a parking call");
        }
    }
}
