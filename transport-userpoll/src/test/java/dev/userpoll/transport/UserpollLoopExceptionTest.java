package dev.userpoll.transport;

import dev.userpoll.transport.ring.ReadyHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An exception from a handler or from the ring source never kills the loop nor spins it: handlers that throw on
 * every read leave the loop thread alive, serving the others and idle afterwards; a ring source that fails one pass
 * backs the loop off (as Netty's loops do after an exception, logged) and the loop goes on with every channel.
 */
class UserpollLoopExceptionTest {
    private static final AtomicInteger LOOPS = new AtomicInteger();

    /** Throws from channelRead and channelReadComplete when the first byte of a connection is 'T'; else echoes. */
    private static final class Throwing extends ChannelInboundHandlerAdapter {
        final AtomicInteger thrown;
        private Boolean throwing;

        Throwing(AtomicInteger thrown) {
            this.thrown = thrown;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (throwing == null) {
                throwing = ((io.netty.buffer.ByteBuf) msg).getByte(0) == 'T';
            }
            if (throwing) {
                ReferenceCountUtil.release(msg);
                thrown.incrementAndGet();
                throw new IllegalStateException("handler failure (test)");
            }
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (Boolean.TRUE.equals(throwing)) {
                thrown.incrementAndGet();
                throw new IllegalStateException("handler failure in channelReadComplete (test)");
            }
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Netty hands a handler's own exception to it here; swallowed (not logged 2,000 times), channel kept open
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void handlersThatThrowNeitherKillNorSpinTheLoop(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        String loopName = "throwing" + LOOPS.incrementAndGet() + '-';
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(loopName, true),
                source.ioHandlerFactory());
        AtomicInteger thrown = new AtomicInteger();
        List<Socket> throwers = new ArrayList<>();
        try {
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new Throwing(thrown));
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();
            Thread loopThread = group.next().submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket();
                s.connect(address, 10_000);
                throwers.add(s);
            }
            for (int round = 0; round < 50; round++) {
                for (Socket s : throwers) {
                    s.getOutputStream().write('T');
                }
                assertEchoes(address); // the others are served all along
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (thrown.get() < 20 * 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(thrown.get() >= 20 * 2, "handler exceptions: " + thrown.get());
            assertSame(loopThread, group.next().submit(Thread::currentThread).get(5, TimeUnit.SECONDS),
                    "the loop runs on the thread it started on");
            Thread.sleep(100);
            long before = ProcessProbe.threadCpuTicks(loopName);
            Thread.sleep(500);
            long ticks = ProcessProbe.threadCpuTicks(loopName) - before;
            assertTrue(ticks <= 5,
                    "loop CPU after " + thrown.get() + " handler exceptions: " + ticks + " ticks in 500 ms");
            assertEchoes(address);
            System.out.println("[loop exceptions] " + source + ": " + thrown.get()
                    + " handler exceptions; loop alive on its thread, " + ticks + " ticks in 500 ms afterwards");
        } finally {
            for (Socket s : throwers) {
                s.close();
            }
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aRingSourceFailingOnePassBacksTheLoopOffAndItGoesOn() throws Exception {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        AtomicBoolean failNext = new AtomicBoolean();
        AtomicInteger failures = new AtomicInteger();
        UserpollIoHandlerConfig config = new UserpollIoHandlerConfig().setIoSubmitter(IoSubmitter.DIRECT);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, UserpollIoHandler.newFactory(config,
                () -> new CountingRingSource(RingSourceKind.EPOLL.open(64)) {
                    @Override
                    public int drain(ReadyHandler handler) {
                        if (failNext.compareAndSet(true, false)) {
                            failures.incrementAndGet();
                            throw new IllegalStateException("ring source failure (test)");
                        }
                        return super.drain(handler);
                    }
                }));
        try (Socket before = new Socket()) {
            Channel listener = EchoHarness.startEchoServer(group, sb -> { });
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();
            before.connect(address, 10_000);
            before.setSoTimeout(10_000);
            assertEquals(1, echo(before, 1)[0]);
            long start = System.nanoTime();
            failNext.set(true);
            group.next().execute(() -> { }); // wake the loop: its next pass fails
            assertEquals(2, echo(before, 2)[0], "the channel opened before the failure still echoes");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(1, failures.get());
            assertTrue(millis >= 90, "the loop backed off after the failure (" + millis + " ms), as Netty's loops do");
            assertEchoes(address);
            System.out.println("[loop exceptions] a failed pass of the ring source: backed off, " + millis
                    + " ms to the next echo; the loop and its channels go on");
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static byte[] echo(Socket s, int value) throws IOException {
        s.getOutputStream().write(value);
        byte[] b = s.getInputStream().readNBytes(1);
        assertEquals(1, b.length, "the connection closed");
        return b;
    }

    private static void assertEchoes(InetSocketAddress address) throws IOException {
        byte[] data = EchoHarness.payload(3, 512);
        data[0] = 'e';
        try (Socket s = new Socket()) {
            s.connect(address, 10_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(data);
            assertArrayEquals(data, s.getInputStream().readNBytes(data.length));
        }
    }
}
