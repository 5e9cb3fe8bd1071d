package dev.userpoll.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
                .childHandler(EchoHarness.Echo.INSTANCE).bind(host, 0).sync().channel();
        assertTrue(EchoHarness.echoOnce(group, server, EchoHarness.payload(42, 1 << 20), clientChannel, b -> { })
                .get(30, TimeUnit.SECONDS), "echoed bytes differ");
        server.close().sync();
    }
}
