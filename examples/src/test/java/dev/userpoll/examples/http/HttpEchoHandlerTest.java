package dev.userpoll.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The echo server's pipeline on an embedded channel: what each kind of request gets back. */
class HttpEchoHandlerTest {
    private static final int MAX_BODY = 1024;

    private final EmbeddedChannel server = new EmbeddedChannel(new HttpEchoServerInitializer(MAX_BODY));
    private final List<FullHttpResponse> responses = new ArrayList<>();

    @AfterEach
    void release() {
        responses.forEach(FullHttpResponse::release);
        server.finishAndReleaseAll();
    }

    /** Feeds raw bytes to the server and parses everything it wrote back. */
    private List<FullHttpResponse> exchange(String raw) {
        server.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
        server.runPendingTasks();
        EmbeddedChannel client = new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(1 << 20));
        for (ByteBuf out; (out = server.readOutbound()) != null; ) {
            client.writeInbound(out);
        }
        List<FullHttpResponse> got = new ArrayList<>();
        for (FullHttpResponse r; (r = client.readInbound()) != null; ) {
            got.add(r);
        }
        client.finishAndReleaseAll();
        responses.addAll(got);
        return got;
    }

    private static String body(FullHttpResponse r) {
        return r.content().toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() {
        List<FullHttpResponse> got = exchange(
                "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/x-ping\r\nContent-Length: 4\r\n\r\nping"
                        + "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
                        + "PUT /echo?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                        + "GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(5, got.size());
        assertEquals(200, got.get(0).status().code());
        assertEquals("Hello, World!", body(got.get(0)));
        assertEquals(200, got.get(1).status().code());
        assertEquals("ping", body(got.get(1)));
        assertEquals("text/x-ping", got.get(1).headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals(404, got.get(2).status().code());
        assertEquals("abc", body(got.get(3)));
        assertFalse(got.get(3).headers().contains(HttpHeaderNames.CONTENT_TYPE), "no content type sent, none echoed");
        assertEquals(405, got.get(4).status().code());
        assertEquals("POST, PUT", got.get(4).headers().get(HttpHeaderNames.ALLOW));
        assertTrue(server.isOpen());
    }

    @Test
    void statsNeedAUserpollLoop() {
        List<FullHttpResponse> got = exchange("GET /stats HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /stats HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        assertEquals(404, got.get(0).status().code()); // an embedded channel's loop is not a userpoll loop
        assertTrue(body(got.get(0)).contains("not a userpoll transport"), body(got.get(0)));
        assertEquals(405, got.get(1).status().code());
    }

    @Test
    void chunkedBodyIsEchoedWhole() {
        List<FullHttpResponse> got = exchange("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Type: application/x-c\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
        assertEquals(1, got.size());
        assertEquals("hello, world", body(got.get(0)));
        assertEquals("12", got.get(0).headers().get(HttpHeaderNames.CONTENT_LENGTH));
        assertEquals("application/x-c", got.get(0).headers().get(HttpHeaderNames.CONTENT_TYPE));
    }

    @Test
    void garbageGets400AndTheConnectionClosed() {
        List<FullHttpResponse> got = exchange("GARBAGE\r\n\r\n");
        assertEquals(1, got.size());
        assertEquals(400, got.get(0).status().code());
        assertEquals("close", got.get(0).headers().get(HttpHeaderNames.CONNECTION));
        assertFalse(server.isOpen());
    }

    @Test
    void longHeadersGet431AndTheConnectionClosed() {
        String big = "x".repeat(HttpEchoServerInitializer.MAX_HEADER_SIZE + 1);
        List<FullHttpResponse> got = exchange("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n");
        assertEquals(1, got.size());
        assertEquals(431, got.get(0).status().code());
        assertFalse(server.isOpen());
    }

    @Test
    void longRequestLineGets414AndTheConnectionClosed() {
        List<FullHttpResponse> got = exchange("GET /" + "y".repeat(HttpEchoServerInitializer.MAX_INITIAL_LINE)
                + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(1, got.size());
        assertEquals(414, got.get(0).status().code());
        assertFalse(server.isOpen());
    }

    @Test
    void bodyOverTheLimitGets413() {
        List<FullHttpResponse> got = exchange("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: " + (MAX_BODY + 1)
                + "\r\n\r\n" + "z".repeat(MAX_BODY + 1));
        assertEquals(1, got.size());
        assertEquals(413, got.get(0).status().code());
    }

    @Test
    void chunkedBodyOverTheLimitGets413() {
        String chunk = Integer.toHexString(MAX_BODY) + "\r\n" + "q".repeat(MAX_BODY) + "\r\n";
        List<FullHttpResponse> got = exchange("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk + chunk + "0\r\n\r\n");
        assertEquals(1, got.size());
        assertEquals(413, got.get(0).status().code());
    }

    @Test
    void connectionCloseIsHonouredAndLaterRequestsDropped() {
        List<FullHttpResponse> got = exchange("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
        assertEquals(1, got.size());
        assertEquals("close", got.get(0).headers().get(HttpHeaderNames.CONNECTION));
        assertFalse(server.isOpen());
    }

    @Test
    void http10KeepsAliveOnlyWhenAsked() {
        List<FullHttpResponse> got = exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertEquals("keep-alive", got.get(0).headers().get(HttpHeaderNames.CONNECTION));
        assertTrue(server.isOpen());
        got = exchange("GET / HTTP/1.0\r\n\r\n");
        assertEquals(200, got.get(0).status().code());
        assertFalse(server.isOpen());
    }
}
