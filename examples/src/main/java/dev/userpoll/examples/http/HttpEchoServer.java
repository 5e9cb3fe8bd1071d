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

import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP echo server. Prints one line when it listens (address, transport, ring source), the loops'
 * statistics on a userpoll transport (also served at {@code GET /stats}) and one line when it has stopped; SIGINT and SIGTERM stop it cleanly (shutdown hook: close the listener, then
 * shut the loops down gracefully).
 */
public final class HttpEchoServer {
    public static final String OPTIONS =
            "[--port P (8080; 0 = any free)] [--host ADDR (127.0.0.1)] [--threads N (cores)] "
                    + "[--transport LIST] [--max-body BYTES (" + HttpEchoServerInitializer.DEFAULT_MAX_BODY + ")]";

    /** The prefix of the server's event-loop thread names ({@code http-loop-N-M}). */
    public static final String LOOP_THREAD = "http-loop";

    private HttpEchoServer() {
    }

    public static int run(Options options) throws InterruptedException {
        int port = options.integer("port", 8080, 0, 65535);
        String host = options.string("host", "127.0.0.1");
        int threads = options.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String transportList = options.string("transport", null);
        int maxBody = options.integer("max-body", HttpEchoServerInitializer.DEFAULT_MAX_BODY, 0, Integer.MAX_VALUE);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        // Named threads: the HTTP harness finds the loop thread by name to read its own CPU time.
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(LOOP_THREAD, false),
                transport.ioHandlerFactory());
        Channel listener;
        try {
            listener = new ServerBootstrap()
                    .group(group)
                    .channelFactory(transport.serverChannelFactory())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new HttpEchoServerInitializer(maxBody))
                    .bind(host, port).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            System.err.println("http-echo-server: cannot listen on " + host + ':' + port + ": " + e);
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

        InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
        System.out.println("http-echo-server listening on http://" + hostForUrl(bound) + ':' + bound.getPort() + "/"
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

    private static String hostForUrl(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return h.indexOf(':') >= 0 ? '[' + h + ']' : h;
    }
}
