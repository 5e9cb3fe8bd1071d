package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingSourceKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** A plain echo over loopback on each ring source: the smallest end-to-end proof of loop + channels. */
class UserpollEchoTest {

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void echoesOneMegabyte(RingSourceKind kind) throws Exception {
        TestRingSources.assumeAvailable(kind);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, UserpollIoHandler.newFactory(kind));
        try {
            Channel server = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            byte[] data = new byte[1 << 20];
            new Random(42).nextBytes(data);
            ByteBuf received = Unpooled.buffer(data.length);
            CompletableFuture<byte[]> done = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(UserpollSocketChannel.class)
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
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
