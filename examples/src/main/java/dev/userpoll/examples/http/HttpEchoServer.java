package dev.userpoll.examples.http;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.UserpollLoopStatistics;
import dev.userpoll.transport.TransportSelector;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP echo server. Prints one line when it listens (address, transport, ring source), the loops'
 * statistics on a userpoll transport (also served at {@code GET /stats}) and one line when it has stopped; SIGINT and SIGTERM stop it cleanly (shutdown hook: close the listener, then
 * shut the loops down gracefully).
 */
public final class HttpEchoServer {
    public static final String OPTIONS =
            "[--port P (8080; 0 = any free)] [--host ADDR (127.0.0.1)] [--unix PATH (instead of host and port)] "
                    + "[--threads N (cores)] "
                    + "[--transport LIST] [--max-body BYTES (" + HttpEchoServerInitializer.DEFAULT_MAX_BODY + ")]";

    /** The prefix of the server's event-loop thread names ({@code http-loop-N-M}). */
    public static final String LOOP_THREAD = "http-loop";

    private HttpEchoServer() {
    }

    public static int run(Options options) throws InterruptedException {
        int port = options.integer("port", 8080, 0, 65535);
        String host = options.string("host", "127.0.0.1");
        String unixPath = options.string("unix", null);
        int threads = options.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String transportList = options.string("transport", null);
        int maxBody = options.integer("max-body", HttpEchoServerInitializer.DEFAULT_MAX_BODY, 0, Integer.MAX_VALUE);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        // Named threads: the HTTP harness finds the loop thread by name to read its own CPU time.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(LOOP_THREAD, false),
                transport.ioHandlerFactory());
        Channel listener;
        String where = unixPath != null ? "unix:" + unixPath : host + ':' + port;
        try {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childHandler(new HttpEchoServerInitializer(maxBody));
            if (unixPath != null) {
                // A Unix-domain socket: the same server, no TCP options; curl --unix-socket PATH http://x/ talks to it.
                listener = bootstrap.channelFactory(transport.serverDomainSocketChannelFactory())
                        .bind(domainSocketAddress(transport, unixPath)).sync().channel();
            } else {
                listener = bootstrap.channelFactory(transport.serverChannelFactory())
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .bind(host, port).sync().channel();
            }
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            System.err.println("http-echo-server: cannot listen on " + where + ": " + e);
            return 1;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            listener.close().syncUninterruptibly();
            if (UserpollLoopStatistics.isAvailable(group)) {
                // Before the shutdown: a loop's statistics go with it.
                System.out.println("http-echo-server loop statistics: " + UserpollLoopStatistics.of(group));
            }
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            System.out.println("http-echo-server stopped");
            System.out.flush();
            stopped.countDown();
        }, "http-echo-server-shutdown"));

        String url;
        if (unixPath != null) {
            url = "unix:" + unixPath + " (curl --unix-socket " + unixPath + " http://localhost/)";
        } else {
            InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
            url = "http://" + hostForUrl(bound) + ':' + bound.getPort() + "/";
        }
        System.out.println("http-echo-server listening on " + url
                + " transport=" + transport.name()
                + " ring-source=" + (transport.isUserpoll() ? transport.ringSource().configName() : "none")
                + " io=" + (transport.isUserpoll() ? transport.ioSubmitter().configName() : "n/a")
                + " idle=" + (transport.isUserpoll() ? transport.idlePolicy() : "n/a")
                + " threads=" + threads);
        System.out.flush();
        // Returns only when a signal starts the shutdown hook (which then exits the JVM).
        stopped.await();
        return 0;
    }

    /**
     * The address type the transport's domain server binds: Netty's {@link DomainSocketAddress} for this transport
     * and Netty's native ones, the JDK's {@link UnixDomainSocketAddress} for NIO.
     */
    private static SocketAddress domainSocketAddress(SelectedTransport transport, String path) {
        return transport.isUserpoll() || transport.name().startsWith("netty-")
                ? new DomainSocketAddress(path) : UnixDomainSocketAddress.of(path);
    }

    private static String hostForUrl(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return h.indexOf(':') >= 0 ? '[' + h + ']' : h;
    }
}
