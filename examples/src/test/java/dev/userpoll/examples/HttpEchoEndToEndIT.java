package dev.userpoll.examples;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shaded jar end to end: for each transport choice this machine has, start {@code http-echo-server}
 * as its own process on a free port, drive it with {@code http-echo-client} (small pipelined requests,
 * then bodies of several MiB), with {@link HttpClient}, and with raw bytes (garbage, pipelining,
 * Connection: close), then stop it with SIGTERM.
 */
class HttpEchoEndToEndIT {
    private static final Pattern LISTENING = Pattern.compile("http-echo-server listening on http://127\\.0\\.0\\.1:(\\d+)/ .*");
    private static final int MAX_BODY = 8 << 20;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio"})
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void serverOnEachTransport(String transport) throws Exception {
        SelectedTransport expected = availableOrSkip(transport);
        long t0 = System.nanoTime();
        // The server tracks every buffer (paranoid leak detection) and must report no leak at exit.
        try (ExampleProcess server = ExampleProcess.start(List.of("-Dio.netty.leakDetection.level=paranoid"), Map.of(),
                "http-echo-server", "--port", "0", "--threads", "2",
                "--transport", transport, "--max-body", Integer.toString(MAX_BODY))) {
            String banner = server.awaitLine(l -> l.startsWith("http-echo-server listening"), 60);
            Matcher m = LISTENING.matcher(banner);
            assertTrue(m.matches(), banner);
            int port = Integer.parseInt(m.group(1));
            assertTrue(banner.contains(" transport=" + transport + ' '), banner);
            String ring = expected.isUserpoll() ? expected.ringSource().configName() : "none";
            assertTrue(banner.contains(" ring-source=" + ring + ' '), banner);

            // The client on the same transport: many small pipelined requests, then several-MiB bodies.
            runClient(transport, port, "--connections", "4", "--requests", "2000", "--size", "1024",
                    "--pipeline", "16");
            runClient(transport, port, "--connections", "2", "--requests", "6", "--size", Integer.toString(6 << 20),
                    "--pipeline", "2");

            checkWithHttpClient(port);
            checkRawBytes(port);

            server.terminate(); // SIGTERM
            int status = server.awaitExit(30);
            assertEquals(143, status, "killed by SIGTERM after the shutdown hook ran; " + server.describe());
            assertTrue(server.stdout().endsWith("http-echo-server stopped"), server.describe());
            assertTrue(!server.stderr().contains("LEAK:"), "no leaked buffers; " + server.stderr());
        }
        System.out.printf(Locale.ROOT, "%s: end to end in %.1f s%n", transport, (System.nanoTime() - t0) / 1e9);
    }

    /** Skips (with the reason) a transport this machine cannot run; selected in-process, as the jar will. */
    private static SelectedTransport availableOrSkip(String transport) {
        try {
            return TransportSelector.select(transport);
        } catch (IllegalStateException e) {
            assumeTrue(false, transport + " is unavailable here: " + e.getMessage());
            throw e;
        }
    }

    private static void runClient(String transport, int port, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("http-echo-client", "--port", Integer.toString(port),
                "--transport", transport, "--timeout", "90"));
        all.addAll(List.of(args));
        try (ExampleProcess client = ExampleProcess.start(all.toArray(new String[0]))) {
            int status = client.awaitExit(120);
            String out = client.stdout();
            System.out.println(out);
            assertEquals(0, status, client.describe());
            assertTrue(out.contains(" errors=0 mismatches=0 "), client.describe());
            assertTrue(out.contains(" transport=" + transport + ' '), out);
        }
    }

    private static void checkWithHttpClient(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI base = URI.create("http://127.0.0.1:" + port);
        Duration timeout = Duration.ofSeconds(30);

        HttpResponse<String> hello = http.send(HttpRequest.newBuilder(base.resolve("/")).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, hello.statusCode());
        assertEquals("Hello, World!", hello.body());

        byte[] body = new byte[300_000];
        new Random(1).nextBytes(body);
        HttpResponse<byte[]> echo = http.send(HttpRequest.newBuilder(base.resolve("/echo")).timeout(timeout)
                        .header("Content-Type", "application/x-e2e")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, echo.statusCode());
        assertArrayEquals(body, echo.body());
        assertEquals("application/x-e2e", echo.headers().firstValue("Content-Type").orElse(null));

        // Unknown length: HttpClient sends the body chunked.
        byte[] chunked = new byte[3 << 20];
        new Random(2).nextBytes(chunked);
        HttpResponse<byte[]> put = http.send(HttpRequest.newBuilder(base.resolve("/echo")).timeout(timeout)
                        .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(chunked))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, put.statusCode());
        assertArrayEquals(chunked, put.body());

        assertEquals(404, http.send(HttpRequest.newBuilder(base.resolve("/no/such/path")).timeout(timeout).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(405, http.send(HttpRequest.newBuilder(base.resolve("/echo")).timeout(timeout).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(431, http.send(HttpRequest.newBuilder(base.resolve("/")).timeout(timeout)
                        .header("X-Big", "b".repeat(16 * 1024)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
        assertEquals(413, http.send(HttpRequest.newBuilder(base.resolve("/echo")).timeout(timeout)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[MAX_BODY + 1])).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    private static void checkRawBytes(int port) throws IOException {
        try (Socket s = connect(port)) {
            s.getOutputStream().write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            RawResponse r = RawResponse.read(in);
            assertEquals(400, r.status);
            assertEquals(-1, in.read(), "the server closes after a 400");
        }
        try (Socket s = connect(port)) {
            // Four requests in one write; the last asks to close.
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/x-raw\r\nContent-Length: 4\r\n\r\nping"
                    + "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            RawResponse a = RawResponse.read(in);
            RawResponse b = RawResponse.read(in);
            RawResponse c = RawResponse.read(in);
            RawResponse d = RawResponse.read(in);
            assertEquals(200, a.status);
            assertEquals("Hello, World!", a.body);
            assertEquals(200, b.status);
            assertEquals("ping", b.body);
            assertEquals("text/x-raw", b.headers.get("content-type"));
            assertEquals(404, c.status);
            assertEquals(200, d.status);
            assertEquals("abcde", d.body);
            assertEquals("close", d.headers.get("connection"));
            assertEquals(-1, in.read(), "Connection: close is honoured");
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(30_000);
        return s;
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void unknownTransportIsAClearErrorListingTheValidOnes() throws Exception {
        try (ExampleProcess server = ExampleProcess.start("http-echo-server", "--port", "0",
                "--transport", "userpoll,quic")) {
            assertEquals(2, server.awaitExit(60), server.describe());
            String err = server.stderr();
            assertTrue(err.contains("unknown transport 'quic'"), err);
            for (String valid : TransportSelector.VALID_TRANSPORTS) {
                assertTrue(err.contains(valid), err);
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void environmentAndPropertySwitchTheTransport() throws Exception {
        try (ExampleProcess server = ExampleProcess.start(List.of(), Map.of("USERPOLL_TRANSPORT", "nio"),
                "http-echo-server", "--port", "0", "--threads", "1")) {
            String banner = server.awaitLine(l -> l.startsWith("http-echo-server listening"), 60);
            assertTrue(banner.contains(" transport=nio "), banner);
            server.terminate();
            server.awaitExit(30);
            assertTrue(server.stderr().contains("chosen, the first entry of 'nio' (environment variable USERPOLL_TRANSPORT)"),
                    server.stderr());
        }
        // The property wins over the environment.
        try (ExampleProcess server = ExampleProcess.start(List.of("-Duserpoll.transport=userpoll:epoll,nio"),
                Map.of("USERPOLL_TRANSPORT", "bogus"), "http-echo-server", "--port", "0", "--threads", "1")) {
            String banner = server.awaitLine(l -> l.startsWith("http-echo-server listening"), 60);
            String want = TransportSelector.select("userpoll:epoll,nio").name();
            assertTrue(banner.contains(" transport=" + want + ' '), banner);
            server.terminate();
            server.awaitExit(30);
        }
    }

    /** One HTTP/1.1 response read off a socket: status line, headers, Content-Length body. */
    private static final class RawResponse {
        int status;
        final Map<String, String> headers = new LinkedHashMap<>();
        String body;

        static RawResponse read(InputStream in) throws IOException {
            RawResponse r = new RawResponse();
            String statusLine = line(in);
            assertTrue(statusLine.startsWith("HTTP/1.1 "), statusLine);
            r.status = Integer.parseInt(statusLine.substring(9, 12));
            for (String h; !(h = line(in)).isEmpty(); ) {
                int colon = h.indexOf(':');
                r.headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
            }
            int length = Integer.parseInt(r.headers.getOrDefault("content-length", "0"));
            r.body = new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
            return r;
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new IOException("connection closed mid-response after '" + b + "'");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
