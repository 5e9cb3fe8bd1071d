package dev.userpoll.examples;

import dev.userpoll.transport.RingSourceKind;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code http-echo-server --unix PATH} as its own process on this transport's ring sources: a JDK Unix-domain
 * client (not this transport) sends real HTTP over the socket ({@code GET /}, a pipelined {@code POST /echo}, a
 * 1 MiB body), and {@code curl --unix-socket} does too where curl is installed. SIGTERM stops the server, which
 * deletes its socket file and leaks no buffer.
 */
class HttpEchoUnixSocketIT {

    @ParameterizedTest
    @ValueSource(strings = {"userpoll:io_uring", "userpoll:epoll"})
    void servesHttpOverAUnixSocket(String transport) throws Exception {
        if (transport.equals("userpoll:io_uring")) {
            Throwable cause = RingSourceKind.IO_URING.unavailabilityCause();
            Assumptions.assumeTrue(cause == null, () -> "io_uring unavailable here: " + cause);
        }
        File file = File.createTempFile("userpoll-http", ".sock");
        assertTrue(file.delete());
        String path = file.getAbsolutePath();
        try (ExampleProcess server = ExampleProcess.start(List.of("-Dio.netty.leakDetection.level=paranoid"),
                Map.of(), "http-echo-server", "--unix", path, "--transport", transport, "--threads", "2")) {
            String banner = server.awaitLine(l -> l.startsWith("http-echo-server listening"), 60);
            assertTrue(banner.contains("unix:" + path) && banner.contains("transport=" + transport), banner);
            assertTrue(Files.exists(Path.of(path)), "the socket file exists while the server listens");

            String hello = exchange(path, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(hello.startsWith("HTTP/1.1 200"), hello);
            assertTrue(hello.endsWith("Hello, World!"), hello);

            String pipelined = exchange(path, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 5\r\n\r\nfirst"
                    + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecond");
            assertEquals(2, pipelined.split("HTTP/1.1 200", -1).length - 1, pipelined);
            assertTrue(pipelined.indexOf("first") < pipelined.indexOf("second"), pipelined);

            String big = "x".repeat(1 << 20);
            String echoed = exchange(path, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + big.length()
                    + "\r\nConnection: close\r\n\r\n" + big);
            assertTrue(echoed.startsWith("HTTP/1.1 200") && echoed.endsWith(big), "1 MiB echoed");

            if (curlAvailable()) {
                Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "20", "--unix-socket", path,
                        "-H", "Content-Type: text/plain", "--data-binary", "curl says hi", "http://localhost/echo")
                        .redirectErrorStream(true).start();
                String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(curl.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, curl.exitValue(), out);
                assertEquals("curl says hi", out);
            } else {
                System.out.println("[HttpEchoUnixSocketIT] curl not installed: the curl check is skipped");
            }

            server.terminate();
            assertEquals(143, server.awaitExit(30), "killed by SIGTERM after the shutdown hook ran; "
                    + server.describe());
            assertTrue(server.stdout().contains("http-echo-server stopped"), server.describe());
            assertFalse(server.stderr().contains("LEAK:"), server.describe());
            assertFalse(Files.exists(Path.of(path)), "the server deletes its socket file when it closes");
        } finally {
            Files.deleteIfExists(Path.of(path));
        }
    }

    /** Writes {@code request} over a JDK Unix-domain socket and reads until the server closes. */
    private static String exchange(String path, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            while (ch.read(in) >= 0) {
                all.write(in.array(), 0, in.position());
                in.clear();
            }
            return all.toString(StandardCharsets.US_ASCII);
        }
    }

    private static boolean curlAvailable() {
        try {
            Process p = new ProcessBuilder("curl", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
