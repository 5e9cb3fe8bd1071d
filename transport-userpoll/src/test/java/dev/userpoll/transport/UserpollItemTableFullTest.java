package dev.userpoll.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The userpoll item table full: the kernel side (emulated here, as the RFC's {@code epoll_ctl(ADD)} answers) refuses
 * a connection's fd with {@code ENOSPC}. That connection is closed cleanly (its peer sees the end of the stream),
 * the server goes on accepting and serving the others, and once some leave their items (and loop slots) serve new
 * connections again; the socket fds and buffer memory come back.
 */
class UserpollItemTableFullTest {
    /** Items for 32 - 2 (the ring's wakeup eventfd and timerfd) - 1 (the listener) = 29 connections. */
    private static final int RING_SIZE = 30;
    private static final int CONNECTIONS = 40;

    static Stream<TestRingSources.Source> emulated() {
        return TestRingSources.all().filter(s -> s.toString().startsWith("userpoll-emulated"));
    }

    @ParameterizedTest
    @MethodSource("emulated")
    void aConnectionTheItemTableCannotHoldIsClosedAndTheServerGoesOn(TestRingSources.Source source) throws Exception {
        UserpollHostilePeersTest.warmUpJdkSockets();
        int socketsBefore = ProcessProbe.socketFds();
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, false, false);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, source.ioHandlerFactory(RING_SIZE));
        Set<Channel> children = ConcurrentHashMap.newKeySet();
        List<Socket> clients = new ArrayList<>();
        try {
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childOption(ChannelOption.ALLOCATOR, alloc)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            children.add(ch);
                            ch.pipeline().addLast(EchoHarness.Echo.INSTANCE);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();
            int socketsWithServer = ProcessProbe.socketFds();

            List<Socket> served = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket s = connect(address);
                clients.add(s);
                if (echoes(s)) {
                    served.add(s);
                } else {
                    refused++; // closed by the server: the end of the stream, or a reset
                }
            }
            assertEquals(CONNECTIONS - RING_SIZE + 1, refused, "connections the full table refused");
            assertEquals(RING_SIZE - 1, served.size());
            for (Socket s : served) {
                assertTrue(echoes(s), "a connection that had an item still echoes");
            }
            waitForOpen(children, served.size());

            // Ten leave: their items and loop slots serve ten newcomers, and then the table is full again.
            for (int i = 0; i < 10; i++) {
                served.remove(0).close();
            }
            waitForOpen(children, served.size());
            for (int i = 0; i < 10; i++) {
                Socket s = connect(address);
                clients.add(s);
                assertTrue(echoes(s), "newcomer " + i + " after ten left");
                served.add(s);
            }
            Socket oneTooMany = connect(address);
            clients.add(oneTooMany);
            assertTrue(!echoes(oneTooMany), "the table is full again");

            for (Socket s : clients) {
                s.close();
            }
            waitForOpen(children, 0);
            assertTrue(ProcessProbe.socketFds() <= socketsWithServer, "socket fds after every client left");
            listener.close().sync();
            System.out.println("[item table] " + source + ": " + refused + " of " + CONNECTIONS
                    + " connections refused with ENOSPC and closed, " + (RING_SIZE - 1)
                    + " served; ten left, ten newcomers served, the next refused again");
        } finally {
            for (Socket s : clients) {
                s.close();
            }
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        assertEquals(0, alloc.metric().usedDirectMemory(), "buffer memory after shutdown");
        assertTrue(ProcessProbe.socketFds() <= socketsBefore, "socket fds after shutdown");
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.connect(address, 10_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Whether one byte comes back; false when the server closed the connection instead. */
    private static boolean echoes(Socket s) {
        try {
            s.getOutputStream().write('x');
            return s.getInputStream().read() == 'x';
        } catch (IOException e) {
            return false; // reset by the server's close
        }
    }

    private static void waitForOpen(Set<Channel> channels, long open) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long now;
        while ((now = channels.stream().filter(Channel::isOpen).count()) != open) {
            assertTrue(System.nanoTime() < deadline, now + " channels open, expected " + open);
            Thread.sleep(10);
        }
    }
}
