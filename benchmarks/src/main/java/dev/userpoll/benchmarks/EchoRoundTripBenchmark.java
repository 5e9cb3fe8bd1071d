package dev.userpoll.benchmarks;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * One loopback echo round trip through a Netty echo server on each transport: this transport on each
 * ring source, Netty's epoll and io_uring transports, and NIO. The client is the same on every arm (a
 * blocking JDK socket on the benchmark thread), so differences are the server's: its event loop wakes
 * from its park, takes the readiness event, reads, writes and parks again.
 * <p>The server runs one event loop; the idle loop parks (no spinning), as the transports do by default.
 * {@code userpoll:userpoll} needs a kernel with EPOLL_USERPOLL: add it with {@code -p transport=...}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
@State(Scope.Thread)
public class EchoRoundTripBenchmark {

    @Param({"userpoll:io_uring", "userpoll:epoll", "netty-epoll", "netty-io_uring", "nio"})
    public String transport;

    @Param({"64", "4096"})
    public int size;

    private EventLoopGroup group;
    private Channel server;
    private SocketChannel client;
    private ByteBuffer request;
    private ByteBuffer response;

    @Setup(Level.Trial)
    public void start() throws Exception {
        // Exactly the named transport: a single-entry preference fails instead of falling back.
        SelectedTransport selected = TransportSelector.select(transport);
        group = selected.newEventLoopGroup(1);
        server = new ServerBootstrap()
                .group(group)
                .channelFactory(selected.serverChannelFactory())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Echo.INSTANCE);
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        client = SocketChannel.open((InetSocketAddress) server.localAddress());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        request = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            request.put(i, (byte) i);
        }
        response = ByteBuffer.allocateDirect(size);
    }

    @Benchmark
    public int roundTrip() throws IOException {
        request.clear();
        while (request.hasRemaining()) {
            client.write(request);
        }
        response.clear();
        while (response.hasRemaining()) {
            if (client.read(response) < 0) {
                throw new EOFException("the echo server closed the connection");
            }
        }
        return response.get(size - 1);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        client.close();
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** Writes back what it reads; flushes once per read batch. */
    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
