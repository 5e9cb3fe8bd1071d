package dev.userpoll.examples.udp;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The UDP echo server: every datagram goes back to its sender unchanged, from one channel on one event loop
 * (thread {@value #LOOP_THREAD}, which the UDP benchmark measures). Prints one line when it is bound and, when
 * SIGINT or SIGTERM stops it, one with the datagrams it echoed.
 */
public final class UdpEchoServer {
    public static final String OPTIONS = "[--port P (9090; 0 = any free)] [--host ADDR (127.0.0.1)] "
            + "[--transport LIST] [--rcvbuf BYTES (4194304)] [--max-datagram BYTES (2048)]";
    /** The name of the server's event-loop thread. */
    public static final String LOOP_THREAD = "udp-echo-loop";

    private UdpEchoServer() {
    }

    public static int run(Options options) throws InterruptedException {
        int port = options.integer("port", 9090, 0, 65535);
        String host = options.string("host", "127.0.0.1");
        String transportList = options.string("transport", null);
        int rcvbuf = options.integer("rcvbuf", 4 << 20, 4096, Integer.MAX_VALUE);
        // Netty's datagram channels read into buffers of a fixed size (2048 bytes by default); a longer
        // datagram would be cut to it.
        int maxDatagram = options.integer("max-datagram", 2048, 64, 65_535);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        if (transport.datagramChannelClass() == null) {
            throw new IllegalStateException(transport.name() + " has no UDP channel");
        }
        EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory(LOOP_THREAD, false), transport.ioHandlerFactory());
        Echo echo = new Echo();
        Channel channel;
        try {
            channel = new Bootstrap()
                    .group(group)
                    .channelFactory(transport.datagramChannelFactory())
                    .option(ChannelOption.SO_RCVBUF, rcvbuf)
                    .option(ChannelOption.SO_SNDBUF, rcvbuf)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(maxDatagram))
                    .handler(echo)
                    .bind(host, port).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            System.err.println("udp-echo-server: cannot bind " + host + ':' + port + ": " + e);
            return 1;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            System.out.println("udp-echo-server stopped after echoing " + echo.echoed.sum() + " datagrams");
            System.out.flush();
            stopped.countDown();
        }, "udp-echo-server-shutdown"));

        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        System.out.println("udp-echo-server bound to " + bound.getAddress().getHostAddress() + ':' + bound.getPort()
                + " transport=" + transport.name()
                + " ring-source=" + (transport.isUserpoll() ? transport.ringSource().configName() : "none")
                + " io=" + (transport.isUserpoll() ? transport.ioSubmitter().configName() : "n/a")
                + " channel=" + channel.getClass().getSimpleName());
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Writes each datagram back to its sender; flushes once per read burst. */
    @ChannelHandler.Sharable
    private static final class Echo extends SimpleChannelInboundHandler<DatagramPacket> {
        final LongAdder echoed = new LongAdder();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.write(new DatagramPacket(packet.content().retain(), packet.sender()), ctx.voidPromise());
            echoed.increment();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A datagram socket has no peer to lose: report and keep serving.
            System.err.println("udp-echo-server: " + cause);
        }
    }
}
