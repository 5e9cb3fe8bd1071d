package dev.userpoll.transport;

import dev.userpoll.transport.ring.ReadyHandler;
import dev.userpoll.transport.ring.RingSource;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A ring source whose drain keeps failing (a corrupt ring) must not spin its loop: the loop backs off after a
 * failed pass, gives the source up after a few, closes it and every channel on it, and goes on running tasks.
 */
class UserpollSourceFailureTest {

    /** A working epoll source whose drain throws, as a corrupt userpoll ring's does, once {@link #corrupt} is set. */
    private static final class CorruptibleSource extends CountingRingSource {
        final AtomicBoolean corrupt = new AtomicBoolean();
        final AtomicInteger failedDrains = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();

        CorruptibleSource(RingSource delegate) {
            super(delegate);
        }

        @Override
        public int drain(ReadyHandler handler) {
            if (corrupt.get()) {
                failedDrains.incrementAndGet();
                throw new IllegalStateException("userpoll ring corrupt (test): index entry names no item");
            }
            return super.drain(handler);
        }

        @Override
        public boolean hasReady() {
            return corrupt.get() || super.hasReady(); // a corrupt ring always looks non-empty
        }

        @Override
        public void close() {
            closed.set(true);
            super.close();
        }
    }

    private static void assertPeerClosed(java.net.Socket client) throws IOException {
        try {
            assertEquals(-1, client.getInputStream().read(), "the accepted channel was closed");
        } catch (java.net.SocketException reset) {
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
        }
    }

    @Test
    void aSourceThatKeepsFailingBacksTheLoopOffThenClosesItAndItsChannels() throws Exception {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        CorruptibleSource[] sources = new CorruptibleSource[1];
        UserpollIoHandlerConfig config = new UserpollIoHandlerConfig().setIoSubmitter(IoSubmitter.DIRECT);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, UserpollIoHandler.newFactory(config, () -> {
            sources[0] = new CorruptibleSource(RingSourceKind.EPOLL.open(64));
            return sources[0];
        }));
        try (java.net.Socket client = new java.net.Socket()) {
            CountDownLatch accepted = new CountDownLatch(1);
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(io.netty.channel.ChannelHandlerContext ctx) {
                            accepted.countDown();
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            client.connect(listener.localAddress(), 5000);
            client.setSoTimeout(10_000);
            assertTrue(accepted.await(5, TimeUnit.SECONDS));

            CorruptibleSource source = sources[0];
            source.corrupt.set(true);
            client.getOutputStream().write(1); // readiness, so the loop drains (and fails) at once

            // The connection is closed (the client reads EOF, or a reset: its byte was never read) and so is the listener.
            assertPeerClosed(client);
            assertTrue(listener.closeFuture().await(5, TimeUnit.SECONDS), "the listener was closed");
            // The give-up closes the channels before the source, in one loop pass: a task queued now runs after it.
            assertEquals(42, group.next().submit(() -> 42).get(5, TimeUnit.SECONDS));
            assertTrue(source.closed.get(), "the failed source was closed");

            // No spinning: after the give-up the ring is never drained again, however long we wait.
            int drainsAtGiveUp = source.failedDrains.get();
            assertTrue(drainsAtGiveUp <= SourceFailures.MAX_CONSECUTIVE,
                    drainsAtGiveUp + " failed drains before the source was given up");
            Thread.sleep(500);
            assertEquals(drainsAtGiveUp, source.failedDrains.get(), "the loop went on draining a failed source");

            // The loop still runs tasks, and refuses new channels with the cause.
            assertEquals(43, group.next().submit(() -> 43).get(5, TimeUnit.SECONDS));
            ChannelFuture refused = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress("127.0.0.1", 0)).await();
            assertFalse(refused.isSuccess());
            Throwable cause = refused.cause();
            assertInstanceOf(IllegalStateException.class, cause);
            assertTrue(String.valueOf(cause.getMessage()).contains("ring source failed"), cause.toString());
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
