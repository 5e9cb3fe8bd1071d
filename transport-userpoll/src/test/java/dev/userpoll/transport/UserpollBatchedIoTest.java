package dev.userpoll.transport;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import dev.userpoll.transport.ring.RingSourceKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;

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
        IoHandlerFactory base = UserpollIoHandler.newFactory(RingSourceKind.EPOLL, IoSubmitter.BATCHED);
        IoHandlerFactory recording = executor -> {
            IoHandler h = base.newHandler(executor);
            handlers.add(h);
            return h;
        };
        EventLoopGroup server = new MultiThreadIoEventLoopGroup(1, recording);
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel listener = EchoHarness.startEchoServer(server, sb -> { });
            int connections = 32;
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
            for (Channel peer : peers) {
                peer.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
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
}
