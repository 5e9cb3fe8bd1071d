package dev.userpoll.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The echo server a test starts in a child JVM (under a seccomp filter, a tiny RLIMIT_MEMLOCK, noNative...): it
 * chooses its transport with {@link TransportSelector} from {@code args[0]} (or the configured preference), prints
 * {@code SELECTED <name> <submitter>} and {@code PORT <port>}, serves until its stdin closes, then shuts down.
 */
public final class ChildEchoServer {
    private ChildEchoServer() {
    }

    public static void main(String[] args) throws Exception {
        SelectedTransport transport = TransportSelector.select(args.length > 0 ? args[0] : null);
        System.out.println("SELECTED " + transport.name() + ' '
                + (transport.ioSubmitter() == null ? "-" : transport.ioSubmitter().configName()));
        EventLoopGroup group = transport.newEventLoopGroup(1);
        try {
            Channel server = new ServerBootstrap().group(group).channelFactory(transport.serverChannelFactory())
                    .childHandler(EchoHarness.Echo.INSTANCE).bind("127.0.0.1", 0).sync().channel();
            System.out.println("PORT " + ((InetSocketAddress) server.localAddress()).getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the test closes our stdin
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
