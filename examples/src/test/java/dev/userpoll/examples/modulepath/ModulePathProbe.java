package dev.userpoll.examples.modulepath;

import dev.userpoll.transport.Userpoll;
import dev.userpoll.transport.UserpollIoHandler;
import dev.userpoll.transport.UserpollServerSocketChannel;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/**
 * A consumer of the transport on the module path, run by {@link ModulePathIT} in a JVM of its own: this class sits
 * in the unnamed module, the transport's jar is the named module {@code dev.userpoll.transport}. It serves one echo
 * through the exported API and proves the internals are not reachable. Prints {@code module-path probe OK} on success.
 */
public final class ModulePathProbe {
    private ModulePathProbe() {
    }

    public static void main(String[] args) throws Exception {
        Module module = UserpollIoHandler.class.getModule();
        check(module.isNamed() && "dev.userpoll.transport".equals(module.getName()),
                "the transport is not the named module dev.userpoll.transport: " + module);
        check(module.isExported("dev.userpoll.transport"), "the API package is not exported");
        for (String internal : new String[] {"dev.userpoll.transport.ring", "dev.userpoll.transport.io",
                "dev.userpoll.transport.internal"}) {
            check(module.getPackages().contains(internal), "no package " + internal + " in the module");
            check(!module.isExported(internal), internal + " is exported");
        }
        try {
            Class.forName("dev.userpoll.transport.ring.RingSources").getMethod("probe", String.class)
                    .invoke(null, "epoll");
            throw new AssertionError("an internal class was callable from outside the module");
        } catch (IllegalAccessException expected) {
            // the module keeps it
        }

        Userpoll.ensureAvailability();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, UserpollIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress(), 5000);
                client.setSoTimeout(10_000);
                byte[] hello = "module path".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                client.getOutputStream().write(hello);
                byte[] echo = client.getInputStream().readNBytes(hello.length);
                check(Arrays.equals(hello, echo), "echo mismatch: " + new String(echo));
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
        System.out.println("module-path probe OK");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new AssertionError(message);
        }
    }
}
