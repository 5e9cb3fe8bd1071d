package dev.userpoll.examples.http;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP echo client: sends {@code --requests} {@code POST /echo} requests over {@code --connections}
 * keep-alive connections, up to {@code --pipeline} in flight on each, checks every echoed body byte for
 * byte (and its content type), and prints one summary line. Exit status 1 on any error or mismatch.
 */
public final class HttpEchoClient {
    public static final String OPTIONS =
            "[--host H (127.0.0.1)] [--port P (8080)] [--connections C (1)] [--requests N (1000)] "
                    + "[--size BYTES (1024)] [--pipeline DEPTH (1)] [--transport LIST] [--threads N] "
                    + "[--timeout SECONDS (120)]";

    private HttpEchoClient() {
    }

    public static int run(Options options) throws InterruptedException {
        String host = options.string("host", "127.0.0.1");
        int port = options.integer("port", 8080, 1, 65535);
        int connections = options.integer("connections", 1, 1, 10_000);
        int requests = options.integer("requests", 1000, 0, Integer.MAX_VALUE);
        int size = options.integer("size", 1024, 0, 1 << 30);
        int pipeline = options.integer("pipeline", 1, 1, 1024);
        String transportList = options.string("transport", null);
        int threads = options.integer("threads",
                Math.min(connections, Runtime.getRuntime().availableProcessors()), 1, 1024);
        int timeoutSeconds = options.integer("timeout", 120, 1, 86_400);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        EchoStats stats = new EchoStats(requests);
        EventLoopGroup group = transport.newEventLoopGroup(threads);
        long start = System.nanoTime();
        try {
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channelFactory(transport.channelFactory())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
            List<EchoConnection> conns = new ArrayList<>(connections);
            int firstId = 0;
            for (int c = 0; c < connections; c++) {
                int share = requests / connections + (c < requests % connections ? 1 : 0);
                EchoConnection conn = new EchoConnection(stats, host, port, firstId, share, size, pipeline);
                firstId += share;
                conns.add(conn);
                ChannelFuture f = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpClientCodec())
                                .addLast(new HttpObjectAggregator(Math.max(size, 8192) + 1024))
                                .addLast(conn);
                    }
                }).connect(host, port);
                f.addListener(cf -> {
                    if (!cf.isSuccess()) {
                        conn.connectFailed(cf.cause());
                    }
                });
            }
            long deadline = start + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            for (EchoConnection conn : conns) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !conn.awaitDone(left)) {
                    stats.error("timed out after " + timeoutSeconds + " s with requests outstanding");
                    break;
                }
            }
            for (EchoConnection conn : conns) {
                conn.close();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        long elapsed = System.nanoTime() - start;
        return report(stats, transport, requests, size, connections, pipeline, elapsed);
    }

    private static int report(EchoStats stats, SelectedTransport transport, int requests, int size,
                              int connections, int pipeline, long elapsedNanos) {
        long[] latencies = stats.latencies();
        Arrays.sort(latencies);
        double seconds = elapsedNanos / 1e9;
        int ok = stats.ok();
        int errors = requests - ok;
        System.out.println(String.format(Locale.ROOT,
                "http-echo-client transport=%s connections=%d pipeline=%d size=%d requests=%d ok=%d errors=%d "
                        + "mismatches=%d elapsed=%.3fs req/s=%.0f p50=%dus p99=%dus",
                transport.name(), connections, pipeline, size, requests, ok, errors, stats.mismatches(),
                seconds, ok / Math.max(seconds, 1e-9),
                percentileMicros(latencies, 0.50), percentileMicros(latencies, 0.99)));
        for (String e : stats.firstErrors()) {
            System.err.println("http-echo-client error: " + e);
        }
        return errors == 0 && stats.mismatches() == 0 && stats.errorCount() == 0 ? 0 : 1;
    }

    private static long percentileMicros(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return TimeUnit.NANOSECONDS.toMicros(sorted[Math.max(0, Math.min(i, sorted.length - 1))]);
    }
}
