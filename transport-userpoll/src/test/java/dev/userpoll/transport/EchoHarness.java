package dev.userpoll.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;

import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Echo server and verifying clients over this transport, shared by the channel tests. */
final class EchoHarness {
    private EchoHarness() {
    }

    @ChannelHandler.Sharable
    static final class Echo extends ChannelInboundHandlerAdapter {
        static final Echo INSTANCE = new Echo();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
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

    static Channel startEchoServer(EventLoopGroup group, Consumer<ServerBootstrap> customizer) throws InterruptedException {
        ServerBootstrap sb = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                .childHandler(Echo.INSTANCE);
        customizer.accept(sb);
        return sb.bind("127.0.0.1", 0).sync().channel();
    }

    static byte[] payload(int seed, int size) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** Connects, sends {@code data}, and completes with whether exactly the same bytes came back. */
    static CompletableFuture<Boolean> echoOnce(EventLoopGroup group, Channel server, byte[] data,
                                               Consumer<Bootstrap> customizer) {
        return echoOnce(group, server, data, UserpollSocketChannel::new, customizer);
    }

    /** As above, on client channels made by {@code clientChannel}. */
    static CompletableFuture<Boolean> echoOnce(EventLoopGroup group, Channel server, byte[] data,
                                               ChannelFactory<? extends Channel> clientChannel,
                                               Consumer<Bootstrap> customizer) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        byte[] received = new byte[data.length];
        int[] count = {0};
        Bootstrap b = new Bootstrap().group(group).channelFactory(clientChannel)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                int n = msg.readableBytes();
                                if (count[0] + n > data.length) {
                                    result.completeExceptionally(new AssertionError(
                                            "echoed " + (count[0] + n) + " bytes, sent " + data.length));
                                    ctx.close();
                                    return;
                                }
                                msg.readBytes(received, count[0], n);
                                count[0] += n;
                                if (count[0] == data.length) {
                                    result.complete(Arrays.equals(data, received));
                                    ctx.close();
                                }
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                if (count[0] != data.length) {
                                    result.completeExceptionally(new AssertionError(
                                            "closed after " + count[0] + " of " + data.length + " echoed bytes"));
                                }
                                result.complete(Arrays.equals(data, received));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                result.completeExceptionally(cause);
                                ctx.close();
                            }
                        });
                    }
                });
        customizer.accept(b);
        b.connect(server.localAddress()).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
            }
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            ch.writeAndFlush(Unpooled.wrappedBuffer(data));
        });
        return result;
    }
}
