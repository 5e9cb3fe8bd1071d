package dev.userpoll.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A plain echo over loopback on each ring source, and on the userpoll source over the emulated kernel
 * (both protocols): the smallest end-to-end proof of loop + channels.
 */
class UserpollEchoTest {

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void echoesOneMegabyte(TestRingSources.Source source) throws Exception {
        echoOneMegabyte(source.ioHandlerFactory());
    }

    private static void echoOneMegabyte(IoHandlerFactory factory) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, factory);
        try {
            echo(group, "127.0.0.1", () -> new UserpollServerSocketChannel(SocketProtocolFamily.INET),
                    () -> new UserpollSocketChannel(SocketProtocolFamily.INET));
            echo(group, "::1", () -> new UserpollServerSocketChannel(SocketProtocolFamily.INET6),
                    () -> new UserpollSocketChannel(SocketProtocolFamily.INET6));
            // the default family (IPv6 dual-stack where available) reaching an IPv4 address
            echo(group, "127.0.0.1", UserpollServerSocketChannel::new, UserpollSocketChannel::new);
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static void echo(EventLoopGroup group, String host, ChannelFactory<ServerChannel> serverChannel,
                             ChannelFactory<Channel> clientChannel) throws Exception {
        Channel server = new ServerBootstrap().group(group).channelFactory(serverChannel)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ctx.writeAndFlush(msg);
                    }
                }).bind(host, 0).sync().channel();
        byte[] data = new byte[1 << 20];
        new Random(42).nextBytes(data);
        ByteBuf received = Unpooled.buffer(data.length);
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        Channel client = new Bootstrap().group(group).channelFactory(clientChannel)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                received.writeBytes(msg);
                                if (received.readableBytes() == data.length) {
                                    byte[] out = new byte[data.length];
                                    received.readBytes(out);
                                    done.complete(out);
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                done.completeExceptionally(cause);
                            }
                        });
                    }
                }).connect(server.localAddress()).sync().channel();
        client.writeAndFlush(Unpooled.wrappedBuffer(data)).sync();
        assertArrayEquals(data, done.get(30, TimeUnit.SECONDS));
        client.close().sync();
        server.close().sync();
        received.release();
    }
}
