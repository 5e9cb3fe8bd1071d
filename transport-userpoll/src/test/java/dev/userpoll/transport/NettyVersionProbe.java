package dev.userpoll.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.Version;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Run in a child JVM by {@link NettyVersionCompatibilityTest}, on a class path with another Netty version: prints the
 * versions, loads Netty's native transports first when asked (so their library registers the unix-common natives
 * instead of ours), then echoes 256 KiB over each named transport and prints {@code probe OK}. With {@code check}
 * only, prints whether this transport is available and why not.
 */
public final class NettyVersionProbe {
    private NettyVersionProbe() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> versions = new TreeMap<>();
        Version.identify().forEach((k, v) -> versions.put(k, v.artifactVersion()));
        System.out.println("netty versions " + versions);
        if ("check".equals(args[0])) {
            System.out.println("userpoll available=" + Userpoll.isAvailable() + " cause=" + Userpoll.unavailabilityCause());
            return;
        }
        if ("netty-first".equals(args[0])) {
            io.netty.channel.epoll.Epoll.ensureAvailability();
            io.netty.channel.uring.IoUring.ensureAvailability();
            System.out.println("Netty's epoll and io_uring loaded first");
        }
        for (String name : args[1].split(",")) {
            SelectedTransport t = TransportSelector.select(name);
            EventLoopGroup group = t.newEventLoopGroup(1);
            try {
                Channel server = new ServerBootstrap().group(group).channel(t.serverChannelClass())
                        .childHandler(EchoHarness.Echo.INSTANCE).bind("127.0.0.1", 0).sync().channel();
                byte[] data = EchoHarness.payload(42, 256 * 1024);
                boolean same = EchoHarness.echoOnce(group, server, data, t.channelFactory(), b -> { })
                        .get(30, TimeUnit.SECONDS);
                server.close().sync();
                if (!same) {
                    throw new AssertionError("echo differs on " + t);
                }
                System.out.println("echo OK on " + t);
            } finally {
                group.shutdownGracefully(200, 5000, TimeUnit.MILLISECONDS).sync();
            }
        }
        System.out.println("probe OK");
    }
}
