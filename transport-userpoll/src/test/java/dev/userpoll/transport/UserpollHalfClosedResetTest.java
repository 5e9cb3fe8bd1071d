package dev.userpoll.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.Errors;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer half-closes its connections ({@code ALLOW_HALF_CLOSURE}: the server's input is shut, the channel stays
 * open) and, while the server neither reads nor writes, resets them. The reset reaches the server only as an
 * error/hang-up edge, which no read will report (the input is shut) and no write will (the application is idle):
 * Netty's own transports leave such channels open, holding their fds, until the application touches them. Ours
 * close within a second, free every fd, and the loop is idle before and after.
 */
class UserpollHalfClosedResetTest {
    private static final int CONNECTIONS = 200;
    /** "Near zero": at most this many clock ticks (10 ms each) of loop CPU in an idle window; a spin burns all. */
    private static final int IDLE_TICKS = 5;
    private static final AtomicInteger LOOPS = new AtomicInteger();

    static Stream<Arguments> cases() {
        return TestRingSources.all().flatMap(s -> Stream.of(Arguments.of(s, true), Arguments.of(s, false)));
    }

    @ParameterizedTest(name = "{0}, autoRead={1}")
    @MethodSource("cases")
    void resetOfAHalfClosedIdleConnectionClosesItsChannelAtOnce(TestRingSources.Source source, boolean autoRead)
            throws Exception {
        source.assumeAvailable();
        String loopName = "hcreset" + LOOPS.incrementAndGet() + '-';
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory(loopName, true), source.ioHandlerFactory());
        List<Socket> clients = new ArrayList<>();
        try {
            Set<Channel> children = ConcurrentHashMap.newKeySet();
            CountDownLatch accepted = new CountDownLatch(CONNECTIONS);
            CountDownLatch inputShut = new CountDownLatch(CONNECTIONS);
            AtomicInteger resetsReported = new AtomicInteger();
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, CONNECTIONS)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.AUTO_READ, autoRead)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            children.add(ch);
                            accepted.countDown();
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                    if (evt == ChannelInputShutdownEvent.INSTANCE) {
                                        inputShut.countDown(); // and then: nothing, the application idles
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    if (cause instanceof Errors.NativeIoException) {
                                        resetsReported.incrementAndGet(); // EPIPE: a reset in CLOSE_WAIT
                                    }
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();
            warmUpJdkSockets();
            int socketsBefore = ProcessProbe.socketFds();

            for (int i = 0; i < CONNECTIONS; i++) {
                Socket client = new Socket();
                clients.add(client);
                client.connect(address, 10_000);
            }
            assertTrue(accepted.await(10, TimeUnit.SECONDS), "accepted " + children.size());
            for (Socket client : clients) {
                client.shutdownOutput(); // FIN: the server's input ends, its channel stays open (half-closure)
            }
            assertTrue(inputShut.await(10, TimeUnit.SECONDS), "input shut on " + (CONNECTIONS - inputShut.getCount()));
            for (Channel child : children) {
                assertTrue(child.isOpen(), "half-closed channel stays open until the peer goes: " + child);
            }
            assertLoopIdle(loopName, "half-closed and idle");

            long resetAt = System.nanoTime();
            for (Socket client : clients) {
                client.setSoLinger(true, 0);
                client.close(); // RST
            }
            for (Channel child : children) {
                long left = TimeUnit.SECONDS.toNanos(1) - (System.nanoTime() - resetAt);
                assertTrue(child.closeFuture().await(Math.max(left, 0), TimeUnit.NANOSECONDS),
                        "within 1 s of the reset " + (CONNECTIONS - openCount(children)) + " of " + CONNECTIONS
                                + " channels closed; still open: " + child);
            }
            long closedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resetAt);
            int socketsAfter = ProcessProbe.socketFds();
            assertTrue(socketsAfter <= socketsBefore,
                    "socket fds: " + socketsBefore + " before the connections, " + socketsAfter + " after");
            long idleTicks = assertLoopIdle(loopName, "after the resets");
            System.out.println("[half-closed reset] " + source + " autoRead=" + autoRead + ": " + CONNECTIONS
                    + " channels closed " + closedMillis + " ms after the resets (" + resetsReported.get()
                    + " reported the socket error); socket fds " + socketsBefore + " -> " + socketsAfter
                    + "; loop CPU afterwards " + idleTicks + " ticks in 500 ms");
            assertEquals(CONNECTIONS, children.size());
            listener.close().sync();
        } finally {
            for (Socket client : clients) {
                client.close();
            }
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    /** The JDK opens a socket of its own on first use of java.net (seen on JDK 25): before the count, not after. */
    private static void warmUpJdkSockets() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket()) {
            client.connect(server.getLocalSocketAddress(), 10_000);
            server.accept().close();
        }
    }

    private static long openCount(Set<Channel> channels) {
        return channels.stream().filter(Channel::isOpen).count();
    }

    /** The loop thread burns (almost) no CPU over half a second: it is parked, not spinning on a stale edge. */
    private static long assertLoopIdle(String loopName, String when) throws Exception {
        Thread.sleep(50); // let the last pass finish
        long before = ProcessProbe.threadCpuTicks(loopName);
        Thread.sleep(500);
        long ticks = ProcessProbe.threadCpuTicks(loopName) - before;
        assertTrue(ticks <= IDLE_TICKS, "loop thread " + when + ": " + ticks + " ticks (10 ms each) in 500 ms");
        return ticks;
    }
}
