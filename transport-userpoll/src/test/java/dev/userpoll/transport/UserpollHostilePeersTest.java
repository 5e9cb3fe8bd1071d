package dev.userpoll.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peers that misbehave, on every ring source and both submitters: resets in the middle of the server's read and in
 * the middle of its write, a slowloris peer (one byte a second) while others are served, a storm of closes and
 * resets. Each time the channels concerned close, the others are served, every socket fd and every buffer byte
 * (an unpooled allocator, so a leaked buffer shows) comes back, and the loop is idle afterwards.
 */
class UserpollHostilePeersTest {
    /** Mode bytes a client sends first: the server then floods it, or swallows what it sends; else it echoes. */
    private static final byte FLOOD = 'W';
    private static final byte SWALLOW = 'R';
    private static final int IDLE_TICKS = 5;
    private static final AtomicInteger LOOPS = new AtomicInteger();

    /** One server on one loop thread, named so its CPU time can be read, with every accepted channel kept. */
    private static final class Server implements AutoCloseable {
        final String loopName = "hostile" + LOOPS.incrementAndGet() + '-';
        final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, false, false);
        final EventLoopGroup group;
        final Set<Channel> children = ConcurrentHashMap.newKeySet();
        final Channel listener;
        final InetSocketAddress address;

        Server(TestRingSources.Source source) throws Exception {
            group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(loopName, true),
                    source.ioHandlerFactory());
            listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.ALLOCATOR, alloc)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            children.add(ch);
                            ch.pipeline().addLast(new Modes());
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            address = (InetSocketAddress) listener.localAddress();
        }

        long openChildren() {
            return children.stream().filter(Channel::isOpen).count();
        }

        void awaitChildrenClosed(long timeoutMillis, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            for (Channel child : children) {
                long left = deadline - System.nanoTime();
                assertTrue(child.closeFuture().await(Math.max(0, left), TimeUnit.NANOSECONDS),
                        what + ": " + openChildren() + " of " + children.size() + " channels still open, e.g. "
                                + child);
            }
        }

        long loopTicksOver(long millis) throws Exception {
            Thread.sleep(50);
            long before = ProcessProbe.threadCpuTicks(loopName);
            Thread.sleep(millis);
            return ProcessProbe.threadCpuTicks(loopName) - before;
        }

        @Override
        public void close() throws Exception {
            listener.close().sync();
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            assertEquals(0, alloc.metric().usedDirectMemory(), "direct memory held by buffers after shutdown");
        }
    }

    /** Echo, unless the first byte asks for a flood (16 MiB back, whatever the peer reads) or to swallow input. */
    private static final class Modes extends ChannelInboundHandlerAdapter {
        private byte mode;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            if (mode == 0 && buf.isReadable()) {
                mode = buf.getByte(buf.readerIndex());
                if (mode == FLOOD) {
                    buf.release();
                    for (int i = 0; i < 256; i++) {
                        ctx.write(ctx.alloc().directBuffer(64 * 1024).writeZero(64 * 1024));
                    }
                    ctx.flush();
                    return;
                }
            }
            if (mode == SWALLOW || mode == FLOOD) {
                ReferenceCountUtil.release(msg);
            } else {
                ctx.write(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset: expected here
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void resetsMidReadAndMidWriteCloseOnlyThoseChannels(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        warmUpJdkSockets();
        int socketsBefore = ProcessProbe.socketFds();
        try (Server server = new Server(source)) {
            int socketsWithServer = ProcessProbe.socketFds();
            List<Socket> resetters = new ArrayList<>();
            byte[] chunk = new byte[256 * 1024];
            for (int i = 0; i < 20; i++) {
                Socket flooded = connect(server);
                flooded.getOutputStream().write(FLOOD);
                flooded.getInputStream().readNBytes(128 * 1024); // the server is in the middle of its 16 MiB
                resetters.add(flooded);
                Socket swallowing = connect(server);
                OutputStream out = swallowing.getOutputStream();
                chunk[0] = SWALLOW;
                out.write(chunk); // the server is reading this when the reset comes
                out.write(chunk);
                resetters.add(swallowing);
            }
            for (Socket s : resetters) {
                reset(s);
            }
            server.awaitChildrenClosed(5_000, "after resets mid-read and mid-write");
            assertEchoes(server, 8);
            server.awaitChildrenClosed(5_000, "after the echoes");
            assertTrue(ProcessProbe.socketFds() <= socketsWithServer, "socket fds after the resets");
            long ticks = server.loopTicksOver(500);
            assertTrue(ticks <= IDLE_TICKS, "loop CPU after the resets: " + ticks + " ticks in 500 ms");
            System.out.println("[hostile] " + source + ": 40 resets mid-read and mid-write closed, echo goes on, loop "
                    + ticks + " ticks in 500 ms");
        }
        assertTrue(ProcessProbe.socketFds() <= socketsBefore, "socket fds after shutdown");
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void aSlowlorisPeerHoldsUpNobody(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        try (Server server = new Server(source); Socket slow = connect(server)) {
            OutputStream slowOut = slow.getOutputStream();
            InputStream slowIn = slow.getInputStream();
            List<Socket> others = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                others.add(connect(server)); // kept open: fresh connections by the thousand would use up the ports
            }
            byte[] data = EchoHarness.payload(7, 1024);
            data[0] = 'e';
            long start = System.nanoTime();
            long ticksBefore = ProcessProbe.threadCpuTicks(server.loopName);
            int echoed = 0;
            long slowestNanos = 0;
            for (int second = 0; second < 2; second++) {
                slowOut.write('a' + second); // one byte a second, each echoed on its own
                assertEquals('a' + second, slowIn.read());
                long untilNext = start + TimeUnit.SECONDS.toNanos(second + 1);
                while (System.nanoTime() < untilNext) { // meanwhile, everyone else is served at once
                    Socket other = others.get(echoed % others.size());
                    long sent = System.nanoTime();
                    other.getOutputStream().write(data);
                    assertArrayEquals(data, other.getInputStream().readNBytes(data.length));
                    slowestNanos = Math.max(slowestNanos, System.nanoTime() - sent);
                    echoed++;
                }
            }
            long ticks = ProcessProbe.threadCpuTicks(server.loopName) - ticksBefore;
            long slowestMillis = TimeUnit.NANOSECONDS.toMillis(slowestNanos);
            assertTrue(echoed >= 50, "others served while the slow peer dribbled: " + echoed);
            assertTrue(slowestMillis < 1_000, "the slowest echo beside the slow peer (one byte a second) took "
                    + slowestMillis + " ms");
            for (Socket other : others) {
                other.close();
            }
            System.out.println("[hostile] " + source + ": slowloris 1 byte/s for 2 s; " + echoed
                    + " echoes on 10 other connections meanwhile, slowest " + slowestMillis + " ms; loop " + ticks
                    + " ticks in 2 s");
            long idle = server.loopTicksOver(500);
            assertTrue(idle <= IDLE_TICKS, "loop CPU with only the slow peer left: " + idle + " ticks in 500 ms");
            assertTrue(slow.isConnected());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void aCloseStormClosesEveryChannelAndLeavesTheLoopIdle(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        warmUpJdkSockets();
        try (Server server = new Server(source)) {
            int socketsWithServer = ProcessProbe.socketFds();
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                Socket s = connect(server);
                s.getOutputStream().write(new byte[] {'x', (byte) i});
                clients.add(s);
            }
            for (Socket s : clients) {
                s.getInputStream().readNBytes(2); // every connection served once
            }
            long start = System.nanoTime();
            for (int i = 0; i < clients.size(); i++) {
                if (i % 2 == 0) {
                    reset(clients.get(i));
                } else {
                    clients.get(i).close(); // FIN
                }
            }
            server.awaitChildrenClosed(5_000, "after the close storm");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ProcessProbe.socketFds() <= socketsWithServer, "socket fds after the storm");
            long ticks = server.loopTicksOver(500);
            assertTrue(ticks <= IDLE_TICKS, "loop CPU after the storm: " + ticks + " ticks in 500 ms");
            assertEchoes(server, 4);
            System.out.println("[hostile] " + source + ": 500 closes and resets at once, all closed in " + millis
                    + " ms, loop " + ticks + " ticks in 500 ms afterwards");
        }
    }

    private static Socket connect(Server server) throws IOException {
        Socket s = new Socket();
        s.connect(server.address, 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    private static void reset(Socket s) throws IOException {
        s.setSoLinger(true, 0);
        s.close();
    }

    /** {@code n} fresh connections each echo 1 KiB. */
    private static void assertEchoes(Server server, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            byte[] data = EchoHarness.payload(i, 1024);
            data[0] = 'e';
            try (Socket s = connect(server)) {
                s.getOutputStream().write(data);
                assertArrayEquals(data, s.getInputStream().readNBytes(data.length));
            }
        }
    }

    /** The JDK opens a socket of its own on first use of java.net (seen on JDK 25): before the count, not after. */
    static void warmUpJdkSockets() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket()) {
            client.connect(server.getLocalSocketAddress(), 10_000);
            server.accept().close();
        }
    }
}
