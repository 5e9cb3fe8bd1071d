package dev.userpoll.examples;

import dev.userpoll.examples.grpc.GrpcEcho;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * The Vert.x and gRPC example servers (one jar, one command each), started as their own processes on every transport
 * choice this machine has, driven by real clients: {@code java.net.http.HttpClient} for Vert.x, a grpc-java client
 * (echo calls and the health service) for gRPC; every byte checked; SIGTERM stops each cleanly.
 */
class FrameworkServersEndToEndIT {
    private static final Pattern VERTX = Pattern.compile(
            "vertx-echo-server listening on http://127\\.0\\.0\\.1:(\\d+)/ transport=(\\S+) vertx-transport=(\\S+)");
    private static final Pattern GRPC = Pattern.compile(
            "grpc-echo-server listening on 127\\.0\\.0\\.1:(\\d+) transport=(\\S+)");

    private static byte[] payload(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
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

    private static void stop(ExampleProcess server, String stoppedLine) throws InterruptedException {
        server.terminate(); // SIGTERM
        int status = server.awaitExit(30);
        assertEquals(143, status, "killed by SIGTERM after the shutdown hook ran; " + server.describe());
        assertTrue(server.stdout().endsWith(stoppedLine), server.describe());
        assertTrue(!server.stderr().contains("LEAK:"), "no leaked buffers; " + server.stderr());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void vertxEchoServer(String transport) throws Exception {
        SelectedTransport expected = availableOrSkip(transport);
        long t0 = System.nanoTime();
        // The choice by system property, as a deployment would set it.
        try (ExampleProcess server = ExampleProcess.start(List.of("-Duserpoll.transport=" + transport,
                "-Dio.netty.leakDetection.level=paranoid"), Map.of(), "vertx-echo-server", "--port", "0")) {
            String banner = server.awaitLine(l -> l.startsWith("vertx-echo-server listening"), 60);
            Matcher m = VERTX.matcher(banner);
            assertTrue(m.matches(), banner);
            int port = Integer.parseInt(m.group(1));
            assertEquals(transport, m.group(2), banner);
            String vertxTransport = expected.isUserpoll() ? "Spi" : Map.of("netty-epoll", "EpollTransport",
                    "netty-io_uring", "IoUringTransport", "nio", "NioTransport").get(transport);
            assertEquals(vertxTransport, m.group(3), "Vert.x runs on the chosen transport: " + banner);

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            String base = "http://127.0.0.1:" + port;
            HttpResponse<String> hello = client.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, hello.statusCode());
            assertEquals("Hello, World!", hello.body());
            List<CompletableFuture<HttpResponse<byte[]>>> echoes = new ArrayList<>();
            int[] sizes = {0, 1, 100_000, 5 * 1024 * 1024 + 11};
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
            HttpResponse<byte[]> put = client.send(HttpRequest.newBuilder(URI.create(base + "/echo"))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(payload(4096))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(payload(4096), put.body());
            assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            stop(server, "vertx-echo-server stopped");
        }
        System.out.printf(Locale.ROOT, "vertx %s: end to end in %.1f s%n", transport, (System.nanoTime() - t0) / 1e9);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio"})
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void grpcEchoServer(String transport) throws Exception {
        availableOrSkip(transport);
        long t0 = System.nanoTime();
        // The choice by environment variable this time.
        try (ExampleProcess server = ExampleProcess.start(List.of("-Dio.netty.leakDetection.level=paranoid"),
                Map.of("USERPOLL_TRANSPORT", transport), "grpc-echo-server", "--port", "0", "--threads", "2")) {
            String banner = server.awaitLine(l -> l.startsWith("grpc-echo-server listening"), 60);
            Matcher m = GRPC.matcher(banner);
            assertTrue(m.matches(), banner);
            assertEquals(transport, m.group(2), banner);
            int port = Integer.parseInt(m.group(1));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                    .maxInboundMessageSize(16 * 1024 * 1024).build();
            try {
                HealthCheckResponse health = HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.newBuilder().setService(GrpcEcho.SERVICE).build());
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                CallOptions deadline = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
                for (int size : new int[] {0, 1, 65_536, 4 * 1024 * 1024 + 5}) {
                    assertArrayEquals(payload(size), ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY, deadline,
                            payload(size)), "unary echo of " + size + " bytes");
                }
                List<byte[]> got = new ArrayList<>();
                CompletableFuture<List<byte[]>> done = new CompletableFuture<>();
                StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
                        channel.newCall(GrpcEcho.STREAM, deadline), new StreamObserver<byte[]>() {
                            @Override
                            public void onNext(byte[] value) {
                                got.add(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                                done.completeExceptionally(t);
                            }

                            @Override
                            public void onCompleted() {
                                done.complete(got);
                            }
                        });
                for (int i = 0; i < 200; i++) {
                    requests.onNext(payload(i * 131));
                }
                requests.onCompleted();
                List<byte[]> replies = done.get(30, TimeUnit.SECONDS);
                assertEquals(200, replies.size());
                for (int i = 0; i < 200; i++) {
                    assertArrayEquals(payload(i * 131), replies.get(i), "stream message " + i);
                }
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
            stop(server, "grpc-echo-server stopped");
        }
        System.out.printf(Locale.ROOT, "grpc %s: end to end in %.1f s%n", transport, (System.nanoTime() - t0) / 1e9);
    }
}
