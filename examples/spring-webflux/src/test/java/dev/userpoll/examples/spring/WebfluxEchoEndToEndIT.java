package dev.userpoll.examples.spring;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Spring Boot WebFlux app (its own executable jar, one command) started on every transport choice this machine
 * has by {@code -Duserpoll.transport}, driven by {@code java.net.http.HttpClient}: every echoed byte checked, the
 * channel class serving the requests is the choice's, SIGTERM stops it.
 */
class WebfluxEchoEndToEndIT {
    private static final Path JAR = Path.of(System.getProperty("spring.jar", "target/userpoll-spring-webflux.jar"));
    private static final Pattern LISTENING = Pattern.compile(
            "spring-webflux-echo listening on http://127\\.0\\.0\\.1:(\\d+)/ transport=(\\S+)");

    private static byte[] payload(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void webfluxOnEachTransport(String transport) throws Exception {
        SelectedTransport expected;
        try {
            expected = TransportSelector.select(transport);
        } catch (IllegalStateException e) {
            assumeTrue(false, transport + " is unavailable here: " + e.getMessage());
            return;
        }
        assertTrue(Files.isRegularFile(JAR), "the Spring Boot jar is built by package: " + JAR.toAbsolutePath());
        long t0 = System.nanoTime();
        Path err = Files.createTempFile("spring-webflux", ".err");
        // C1 only and the leak detector at paranoid: a quicker start, and every buffer tracked.
        Process app = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Dio.netty.leakDetection.level=paranoid",
                "-Duserpoll.transport=" + transport, "-jar", JAR.toString(), "--server.port=0")
                .redirectError(err.toFile()).start();
        List<String> out = new ArrayList<>();
        CompletableFuture<String> banner = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (out) {
                        out.add(line);
                    }
                    if (line.startsWith("spring-webflux-echo listening")) {
                        banner.complete(line);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            banner.complete("(exited before listening)");
        }, "spring-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            String line = banner.get(90, TimeUnit.SECONDS);
            Matcher m = LISTENING.matcher(line);
            assertTrue(m.matches(), line + "\n" + describe(out, err));
            assertEquals(transport, m.group(2), line);
            String base = "http://127.0.0.1:" + m.group(1);

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> hello = client.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals("Hello, World!", hello.body());
            HttpResponse<String> served = client.send(HttpRequest.newBuilder(URI.create(base + "/transport")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(transport + " channel=" + expected.channelClass().getSimpleName(), served.body(),
                    "the request was served by the chosen transport's channel");

            int[] sizes = {1, 100_000, 5 * 1024 * 1024 + 11};
            List<CompletableFuture<HttpResponse<byte[]>>> echoes = new ArrayList<>();
            for (int size : sizes) {
                echoes.add(client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/echo"))
                                .header("Content-Type", "application/x-test-" + size)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(payload(size))).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (int i = 0; i < sizes.length; i++) {
                HttpResponse<byte[]> r = echoes.get(i).get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode());
                assertEquals("application/x-test-" + sizes[i], r.headers().firstValue("content-type").orElse(null));
                assertArrayEquals(payload(sizes[i]), r.body(), "echo of " + sizes[i] + " bytes");
            }

            app.toHandle().destroy(); // SIGTERM: Spring's shutdown hook closes the context and the loops
            assertTrue(app.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM\n" + describe(out, err));
            reader.join(5000);
            assertEquals(143, app.exitValue(), describe(out, err));
            String all = describe(out, err);
            assertTrue(all.contains("spring-webflux-echo stopping"), all);
            assertTrue(!all.contains("LEAK:"), "no leaked buffers\n" + all);
        } finally {
            app.destroyForcibly();
            Files.deleteIfExists(err);
        }
        System.out.printf(Locale.ROOT, "spring %s: end to end in %.1f s%n", transport, (System.nanoTime() - t0) / 1e9);
    }

    private static String describe(List<String> out, Path err) {
        String stderr;
        try {
            stderr = Files.readString(err);
        } catch (IOException e) {
            stderr = "(unreadable: " + e + ')';
        }
        synchronized (out) {
            return "stdout:\n" + String.join("\n", out) + "\nstderr:\n" + stderr;
        }
    }
}
