package dev.userpoll.examples.http;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.EmulatedUserpoll;
import dev.userpoll.transport.UserpollServerSocketChannel;
import dev.userpoll.transport.ring.UserpollProtocol;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP echo server on the userpoll ring source, in every build: this kernel has no EPOLL_USERPOLL,
 * so the server's loops drain a ring published by the emulated kernel side (test scope of the
 * transport). The separate-process end-to-end test covers the real ring sources; this one runs the
 * same server code in-process, with the example client (on this transport) checking every byte.
 */
class HttpEchoOnEmulatedUserpollTest {

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void servesPipelinedAndLargeEchoesAndRealHttp(UserpollProtocol protocol) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EmulatedUserpoll.ioHandlerFactory(protocol));
        try {
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .childHandler(new HttpEchoServerInitializer(HttpEchoServerInitializer.DEFAULT_MAX_BODY))
                    .bind("127.0.0.1", 0).sync().channel();
            String port = Integer.toString(((InetSocketAddress) listener.localAddress()).getPort());

            assertEquals(0, HttpEchoClient.run(new Options("--port", port, "--connections", "4",
                    "--requests", "2000", "--size", "1024", "--pipeline", "16", "--transport", "userpoll:epoll")));
            assertEquals(0, HttpEchoClient.run(new Options("--port", port, "--connections", "2",
                    "--requests", "6", "--size", Integer.toString(6 << 20), "--transport", "userpoll:epoll")));

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> hello = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals("Hello, World!", hello.body());
            assertEquals(404, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/nope"))
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode());

            // The loops' statistics: the 2,000 pipelined requests above went through them.
            HttpResponse<String> stats = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/stats")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stats.statusCode());
            assertEquals("application/json", stats.headers().firstValue("content-type").orElse(""));
            Matcher passes = Pattern.compile("^\\{\"group\":\\{\"loops\":2,\"passes\":(\\d+),").matcher(stats.body());
            assertTrue(passes.find(), stats.body());
            assertTrue(Long.parseLong(passes.group(1)) >= 2000 / 16, stats.body());
            assertTrue(stats.body().contains("\"readyEvents\":") && stats.body().contains("\"kernelEntries\":"),
                    stats.body());

            try (Socket raw = new Socket("127.0.0.1", Integer.parseInt(port))) {
                raw.setSoTimeout(10_000);
                raw.getOutputStream().write("this is not HTTP\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = raw.getInputStream();
                String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII); // to EOF: closed
                assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            }
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
