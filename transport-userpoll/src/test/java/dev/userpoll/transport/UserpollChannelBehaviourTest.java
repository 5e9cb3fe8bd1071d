package dev.userpoll.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.InputStream;

import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The edge-triggered rules of DESIGN.md section 4, end to end on each ring source. */
class UserpollChannelBehaviourTest {

    private static EventLoopGroup group(TestRingSources.Source source, int threads) {
        return new MultiThreadIoEventLoopGroup(threads, source.ioHandlerFactory());
    }

    private static void shutdown(EventLoopGroup... groups) throws InterruptedException {
        for (EventLoopGroup g : groups) {
            g.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void thousandsOfConnectionsWithLargeWritesBothWaysLoseNothing(TestRingSources.Source source) throws Exception {
        EventLoopGroup server = group(source, 2);
        EventLoopGroup client = new MultiThreadIoEventLoopGroup(2, source.ioHandlerFactory());
        try {
            Channel listener = EchoHarness.startEchoServer(server, sb -> sb.option(ChannelOption.SO_BACKLOG, 4096));
            int connections = 1000;
            int size = 48 * 1024;
            List<CompletableFuture<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                results.add(EchoHarness.echoOnce(client, listener, EchoHarness.payload(i, size), b -> { }));
            }
            for (int i = 0; i < connections; i++) {
                assertTrue(results.get(i).get(120, TimeUnit.SECONDS), "connection " + i + " echoed wrong bytes");
            }
            listener.close().sync();
        } finally {
            shutdown(client, server);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void channelsStoppedByReadAndWriteLimitsAreServedFromTheReadyList(TestRingSources.Source source) throws Exception {
        EventLoopGroup group = group(source, 1); // one loop: both ends compete, so fairness matters
        try {
            Channel listener = EchoHarness.startEchoServer(group, sb -> sb
                    .childOption(ChannelOption.MAX_MESSAGES_PER_READ, 1)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(512))
                    .childOption(ChannelOption.WRITE_SPIN_COUNT, 1));
            byte[] data = EchoHarness.payload(7, 2 << 20);
            assertTrue(EchoHarness.echoOnce(group, listener, data, b -> b
                    .option(ChannelOption.MAX_MESSAGES_PER_READ, 1)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(1024)))
                    .get(60, TimeUnit.SECONDS));
            listener.close().sync();
        } finally {
            shutdown(group);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void dataSignalledWhileAutoReadIsOffIsDeliveredOnRead(TestRingSources.Source source) throws Exception {
        EventLoopGroup group = group(source, 1);
        try {
            AtomicReference<Channel> child = new AtomicReference<>();
            CountDownLatch accepted = new CountDownLatch(1);
            ConcurrentLinkedQueue<Integer> reads = new ConcurrentLinkedQueue<>();
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            child.set(ctx.channel());
                            accepted.countDown();
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            reads.add(((ByteBuf) msg).readableBytes());
                            ((ByteBuf) msg).release();
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            try (Socket peer = new Socket()) {
                peer.connect(listener.localAddress());
                assertTrue(accepted.await(10, TimeUnit.SECONDS));
                peer.getOutputStream().write(new byte[100]);
                peer.getOutputStream().flush();
                Thread.sleep(300); // the IN edge has come and gone while reading was off
                assertTrue(reads.isEmpty(), "read while autoRead was off");
                child.get().read();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (reads.stream().mapToInt(Integer::intValue).sum() < 100 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(100, reads.stream().mapToInt(Integer::intValue).sum(), "owed edge lost");
            }
            listener.close().sync();
        } finally {
            shutdown(group);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void everyFdIsRegisteredOnceAndNeverAgainWhileDataFlows(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        ConcurrentLinkedQueue<CountingRingSource> opened = new ConcurrentLinkedQueue<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, UserpollIoHandler.newFactory(
                new UserpollIoHandlerConfig().setIoSubmitter(source.submitter()), () -> {
                    CountingRingSource s = new CountingRingSource(source.open(256));
                    opened.add(s);
                    return s;
                }));
        try {
            Channel listener = EchoHarness.startEchoServer(group, sb -> { });
            int connections = 20;
            List<Channel> clients = new ArrayList<>();
            AtomicInteger replies = new AtomicInteger();
            for (int i = 0; i < connections; i++) {
                clients.add(new Bootstrap().group(group).channel(UserpollSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                replies.addAndGet(((ByteBuf) msg).readableBytes());
                                ((ByteBuf) msg).release();
                            }
                        }).connect(listener.localAddress()).sync().channel());
            }
            int registersAfterConnect;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            do { // accepted children register on the server's loop shortly after connect() returns
                registersAfterConnect = opened.stream().mapToInt(s -> s.registers.get()).sum();
                Thread.sleep(5);
            } while (registersAfterConnect < 1 + 2 * connections && System.nanoTime() < deadline);
            assertEquals(1 + 2 * connections, registersAfterConnect, "one registration per fd");
            int rounds = 200;
            for (int r = 0; r < rounds; r++) {
                for (Channel c : clients) {
                    c.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) r}));
                }
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (replies.get() < rounds * connections && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(rounds * connections, replies.get());
            assertEquals(registersAfterConnect, opened.stream().mapToInt(s -> s.registers.get()).sum(),
                    "no registration while data flows (no epoll_ctl MOD, no poll re-arm from the loop)");
            assertEquals(0, opened.stream().mapToInt(s -> s.deregisters.get()).sum());
            for (Channel c : clients) {
                c.close().sync();
            }
            listener.close().sync();
        } finally {
            shutdown(group);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void peerResetInTheMiddleOfAWriteFailsTheWriteAndKeepsTheLoopServing(TestRingSources.Source source) throws Exception {
        EventLoopGroup group = group(source, 1);
        try {
            List<ByteBuf> written = new ArrayList<>();
            CompletableFuture<Throwable> writeFailure = new CompletableFuture<>();
            CompletableFuture<Void> closed = new CompletableFuture<>();
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            ctx.channel().closeFuture().addListener(f -> closed.complete(null));
                            for (int i = 0; i < 512; i++) { // 64 MiB, far more than the socket buffers hold
                                ByteBuf chunk = ctx.alloc().directBuffer(128 * 1024).writeZero(128 * 1024);
                                written.add(chunk);
                                ChannelFuture f = ctx.write(chunk.retain());
                                f.addListener(w -> {
                                    if (!w.isSuccess()) {
                                        writeFailure.complete(w.cause());
                                    }
                                });
                            }
                            ctx.flush();
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            try (Socket peer = new Socket()) {
                peer.connect(listener.localAddress());
                InputStream in = peer.getInputStream();
                byte[] buf = new byte[64 * 1024];
                int total = 0;
                while (total < (1 << 20)) {
                    int n = in.read(buf);
                    assertTrue(n > 0);
                    total += n;
                }
                peer.setSoLinger(true, 0); // close() now sends RST with the rest unread
            }
            assertNotNull(writeFailure.get(30, TimeUnit.SECONDS));
            closed.get(30, TimeUnit.SECONDS);
            // The outbound buffer is failed just after closeFuture fires, on the loop thread.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (written.stream().anyMatch(b -> b.refCnt() != 1) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            for (ByteBuf b : written) {
                assertEquals(1, b.refCnt(), "the channel released every buffer it was given");
                b.release();
            }
            // The loop is not wedged: a new connection on it is served.
            listener.close().sync();
            Channel echo = EchoHarness.startEchoServer(group, sb -> { });
            assertTrue(EchoHarness.echoOnce(group, echo, EchoHarness.payload(3, 100_000), b -> { })
                    .get(30, TimeUnit.SECONDS));
            echo.close().sync();
        } finally {
            shutdown(group);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void closeInsideABatchWithImmediateFdReuseNeverDeliversToTheWrongChannel(TestRingSources.Source source) throws Exception {
        EventLoopGroup group = group(source, 1);
        try {
            // A second server that never sends: anything read by a channel connected to it is misdelivered.
            Channel silent = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(EchoHarness.Echo.INSTANCE).bind("127.0.0.1", 0).sync().channel();
            AtomicInteger misdelivered = new AtomicInteger();
            AtomicInteger reuses = new AtomicInteger();
            ConcurrentLinkedQueue<Channel> victims = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Channel> newcomers = new ConcurrentLinkedQueue<>();
            int rounds = 100;
            CountDownLatch done = new CountDownLatch(rounds);
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ((ByteBuf) msg).release();
                            Channel victim = victims.poll();
                            if (victim == null) {
                                victims.add(ctx.channel()); // first of the pair: becomes the victim
                                return;
                            }
                            int victimFd = ((UserpollSocketChannel) victim).fd().intValue();
                            victim.close(); // its own event may be in this very batch
                            Channel fresh = new Bootstrap().group(ctx.channel().eventLoop())
                                    .channel(UserpollSocketChannel.class)
                                    .handler(new ChannelInboundHandlerAdapter() {
                                        @Override
                                        public void channelRead(ChannelHandlerContext c, Object m) {
                                            misdelivered.incrementAndGet();
                                            ((ByteBuf) m).release();
                                        }
                                    }).connect(silent.localAddress()).channel();
                            if (((UserpollSocketChannel) fresh).fd().intValue() == victimFd) {
                                reuses.incrementAndGet();
                            }
                            newcomers.add(fresh);
                            ctx.close();
                            done.countDown();
                        }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            for (int r = 0; r < rounds; r++) {
                try (Socket a = new Socket(); Socket b = new Socket()) {
                    a.connect(listener.localAddress());
                    b.connect(listener.localAddress());
                    a.getOutputStream().write(1);
                    Thread.sleep(2);
                    // b's byte and more of a's arrive together: one batch holds both channels' events.
                    b.getOutputStream().write(new byte[] {2, 2, 2});
                    a.getOutputStream().write(1);
                    a.getOutputStream().flush();
                    b.getOutputStream().flush();
                    Thread.sleep(5);
                }
            }
            done.await(30, TimeUnit.SECONDS);
            assertTrue(done.getCount() < rounds / 2, "rounds did not run: " + done.getCount() + " left");
            Thread.sleep(200);
            assertEquals(0, misdelivered.get(), "an event of a closed channel reached the channel that reused its fd");
            assertTrue(reuses.get() > 0, "the test never reused an fd number (it proves nothing then)");
            for (Channel c : newcomers) {
                c.close().sync();
            }
            listener.close().sync();
            silent.close().sync();
        } finally {
            shutdown(group);
        }
    }

}
