package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channels built on an fd the process already has (systemd socket activation, a socketpair): each kind takes the
 * fd over non-blocking, is active at once when the socket is connected or listening, reads its addresses back, and
 * then serves as if it had made the socket itself. A bad fd is a clear error.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserpollInheritedFdTest {
    private static final int O_NONBLOCK = 04000;
    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, UserpollIoHandler.newFactory());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }

    @Test
    void tcpServerOnAListeningFd() throws Exception {
        Socket listener = Socket.newSocketStream();
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        listener.listen(64);
        InetSocketAddress address = listener.localAddress();
        UserpollServerSocketChannel channel = new UserpollServerSocketChannel(listener.intValue());
        assertTrue(channel.isActive(), "a listening socket is active at once");
        assertEquals(address, channel.localAddress());
        assertNonBlocking(listener.intValue());
        Channel server = new ServerBootstrap().group(group).channelFactory(() -> channel)
                .childHandler(EchoHarness.Echo.INSTANCE).register().sync().channel();
        try {
            assertTrue(EchoHarness.echoOnce(group, server, EchoHarness.payload(1, 64 * 1024), b -> { })
                    .get(30, TimeUnit.SECONDS), "echoed bytes differ");
        } finally {
            server.close().sync();
        }
    }

    @Test
    void tcpServerOnAnUnboundFdBindsAsUsual() throws Exception {
        Socket socket = Socket.newSocketStream();
        UserpollServerSocketChannel channel = new UserpollServerSocketChannel(socket.intValue());
        assertFalse(channel.isActive(), "not listening yet");
        Channel server = new ServerBootstrap().group(group).channelFactory(() -> channel)
                .childHandler(EchoHarness.Echo.INSTANCE).bind("127.0.0.1", 0).sync().channel();
        try {
            assertTrue(EchoHarness.echoOnce(group, server, EchoHarness.payload(2, 1024), b -> { })
                    .get(30, TimeUnit.SECONDS), "echoed bytes differ");
        } finally {
            server.close().sync();
        }
    }

    @Test
    void tcpClientOnAConnectedFd() throws Exception {
        Channel server = EchoHarness.startEchoServer(group, sb -> { });
        Socket socket = Socket.newSocketStream();
        try {
            InetSocketAddress serverAddress = (InetSocketAddress) server.localAddress();
            if (!socket.connect(serverAddress)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!socket.finishConnect()) {
                    assertTrue(System.nanoTime() < deadline, "loopback connect did not complete");
                    Thread.sleep(1);
                }
            }
            UserpollSocketChannel channel = new UserpollSocketChannel(socket.intValue());
            assertTrue(channel.isActive(), "a connected socket is active at once");
            assertEquals(serverAddress.getPort(), channel.remoteAddress().getPort());
            assertEquals(socket.localAddress(), channel.localAddress());
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            new Bootstrap().group(group).channelFactory(() -> channel).handler(collect(got)).register().sync();
            channel.writeAndFlush(Unpooled.copiedBuffer("inherited", StandardCharsets.US_ASCII)).sync();
            assertEquals("inherited", got.poll(10, TimeUnit.SECONDS));
            channel.close().sync();
        } finally {
            server.close().sync();
        }
    }

    @Test
    void domainChannelsOnASocketPair() throws Exception {
        int[] fds = new int[2];
        assertEquals(0, Native.socketPair(fds));
        UserpollDomainSocketChannel a = new UserpollDomainSocketChannel(fds[0]);
        UserpollDomainSocketChannel b = new UserpollDomainSocketChannel(fds[1]);
        assertTrue(a.isActive() && b.isActive(), "both ends are connected");
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        new Bootstrap().group(group).channelFactory(() -> a).handler(collect(new LinkedBlockingQueue<>()))
                .register().sync();
        new Bootstrap().group(group).channelFactory(() -> b).handler(collect(got)).register().sync();
        try {
            a.writeAndFlush(Unpooled.copiedBuffer("pair", StandardCharsets.US_ASCII)).sync();
            assertEquals("pair", got.poll(10, TimeUnit.SECONDS));
            assertEquals(ProcessHandle.current().pid(), b.peerCredentials().pid());
        } finally {
            a.close().sync();
            b.close().sync();
        }
    }

    @Test
    void domainServerOnAListeningFdKeepsItsFile() throws Exception {
        File file = File.createTempFile("userpoll-inherited", ".sock");
        assertTrue(file.delete());
        DomainSocketAddress address = new DomainSocketAddress(file);
        Socket listener = Socket.newSocketDomain();
        listener.bind(address);
        listener.listen(64);
        UserpollServerDomainSocketChannel channel = new UserpollServerDomainSocketChannel(listener.intValue());
        assertTrue(channel.isActive(), "a listening socket is active at once");
        assertEquals(address, channel.localAddress());
        Channel server = new ServerBootstrap().group(group).channelFactory(() -> channel)
                .childHandler(EchoHarness.Echo.INSTANCE).register().sync().channel();
        try {
            assertTrue(EchoHarness.echoOnce(group, server, EchoHarness.payload(3, 64 * 1024),
                    UserpollDomainSocketChannel::new, bs -> { }).get(30, TimeUnit.SECONDS), "echoed bytes differ");
        } finally {
            server.close().sync();
        }
        assertTrue(file.exists(), "the socket file belongs to whoever bound it, not to the channel");
        Files.delete(file.toPath());
    }

    @Test
    void badFdsAreClearErrors() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new UserpollSocketChannel(-1));
        FileDescriptor[] pipe = FileDescriptor.pipe();
        try {
            ChannelException e = assertThrows(ChannelException.class,
                    () -> new UserpollSocketChannel(pipe[0].intValue()), "a pipe is not a socket");
            assertTrue(String.valueOf(e.getMessage()).contains("getsockname") || e.getCause() != null, e.toString());
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
        FileDescriptor closed = FileDescriptor.pipe()[0];
        int number = closed.intValue();
        closed.close();
        if (!Files.exists(Path.of("/proc/self/fd/" + number))) {
            assertThrows(ChannelException.class, () -> new UserpollDomainSocketChannel(number), "a closed fd");
        }
    }

    private static void assertNonBlocking(int fd) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) {
                int flags = Integer.parseInt(line.substring(6).trim(), 8);
                assertTrue((flags & O_NONBLOCK) != 0, "O_NONBLOCK set: " + line);
                return;
            }
        }
        throw new AssertionError("no flags line for fd " + fd);
    }

    private static SimpleChannelInboundHandler<ByteBuf> collect(BlockingQueue<String> got) {
        return new SimpleChannelInboundHandler<ByteBuf>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                got.add(msg.toString(StandardCharsets.US_ASCII));
            }
        };
    }
}
