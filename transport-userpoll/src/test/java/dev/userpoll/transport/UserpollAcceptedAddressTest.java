package dev.userpoll.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An accepted connection's addresses: its local address is the listener's when that is bound to one address (no
 * getsockname per connection), and the kernel's own answer when the listener is bound to a wildcard.
 */
class UserpollAcceptedAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "::1", "::"})
    void acceptedLocalAddressIsTheOneThePeerConnectedTo(String bindHost) throws Exception {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, UserpollIoHandler.newFactory(
                new UserpollIoHandlerConfig().setRingSource(RingSourceKind.EPOLL)));
        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            java.util.concurrent.LinkedBlockingQueue<Channel> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            accepted.add(ch);
                        }
                    }).bind(bindHost, 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            String connectHost = bindHost.contains(":") ? "::1" : "127.0.0.1";
            for (int round = 0; round < 2; round++) { // the second accept uses what the first decided
                Channel client = new Bootstrap().group(nio).channel(NioSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter()).connect(connectHost, port).sync().channel();
                Channel child = accepted.poll(10, TimeUnit.SECONDS);
                assertEquals(client.remoteAddress(), child.localAddress(), bindHost);
                assertEquals(client.localAddress(), child.remoteAddress(), bindHost);
                client.close().sync();
            }
            listener.close().sync();
        } finally {
            nio.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
