package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A listener looks at its backlog ({@code poll(2)}) after an accept instead of accepting on to {@code EAGAIN}: every
 * connection is still accepted, whether it comes alone, in a short burst (looked at after each accept) or in a long
 * one (accepted on to {@code EAGAIN}), and a lone connection after a burst still makes its own edge.
 */
class UserpollAcceptBacklogTest {
    private static final long TIMEOUT_SECONDS = 10;

    @Test
    void pollInTellsWhetherTheBacklogHoldsAConnection() throws Exception {
        UserpollSocket listener = UserpollSocket.newStream(false);
        try {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            listener.listen(8);
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            assertEquals(0, Native.pollIn(listener.intValue()), "empty backlog");
            try (Socket client = new Socket("127.0.0.1", port)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
                int res;
                while ((res = Native.pollIn(listener.intValue())) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertTrue((res & Native.EPOLLIN) != 0, "a connection waits: " + res);
                int fd = listener.accept(new byte[26]);
                assertNotEquals(-1, fd);
                Native.close(fd);
                assertEquals(0, Native.pollIn(listener.intValue()), "backlog empty again");
            }
        } finally {
            listener.close();
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void loneConnectionsShortAndLongBurstsAreAllAccepted(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, source.ioHandlerFactory());
        List<Socket> clients = new ArrayList<>();
        try {
            AtomicInteger accepted = new AtomicInteger();
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.incrementAndGet();
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            int expected = 0;
            for (int i = 0; i < 10; i++) { // alone: the look after the accept finds the backlog empty
                clients.add(new Socket("127.0.0.1", port));
                awaitAccepted(accepted, ++expected, source + ": lone connection " + i);
            }
            // Bursts queued while the loop is held: a short one (a look after each accept), a long one (past the
            // looks, on to EAGAIN), each followed by a lone connection that needs an edge of its own.
            for (int burst : new int[] {3, 8, 9, 40}) {
                CountDownLatch release = new CountDownLatch(1);
                CountDownLatch held = new CountDownLatch(1);
                group.next().execute(() -> {
                    held.countDown();
                    try {
                        release.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertTrue(held.await(TIMEOUT_SECONDS, TimeUnit.SECONDS));
                for (int i = 0; i < burst; i++) {
                    clients.add(new Socket("127.0.0.1", port)); // completes in the kernel's backlog
                }
                release.countDown();
                expected += burst;
                awaitAccepted(accepted, expected, source + ": burst of " + burst);
                clients.add(new Socket("127.0.0.1", port));
                awaitAccepted(accepted, ++expected, source + ": lone connection after a burst of " + burst);
            }
            listener.close().sync();
        } finally {
            for (Socket c : clients) {
                c.close();
            }
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static void awaitAccepted(AtomicInteger accepted, int expected, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (accepted.get() < expected && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(expected, accepted.get(), what);
    }
}
