package dev.userpoll.examples.grpc;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import dev.userpoll.transport.grpc.UserpollGrpc;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server (grpc-netty) on the transport {@code --transport} (or {@code userpoll.transport}) chooses, through
 * {@link UserpollGrpc}: the echo service {@link GrpcEcho} and the standard health service
 * ({@code grpc.health.v1.Health}, SERVING for the echo service and the server). One line when it listens, one when it
 * stopped (SIGINT/SIGTERM).
 */
public final class GrpcEchoServer {
    public static final String OPTIONS =
            "[--port P (50051)] [--host ADDR (127.0.0.1)] [--threads N (cores)] [--transport LIST]";

    private GrpcEchoServer() {
    }

    public static int run(Options options) throws InterruptedException {
        int port = options.integer("port", 50051, 0, 65535);
        String host = options.string("host", "127.0.0.1");
        int threads = options.integer("threads", Runtime.getRuntime().availableProcessors(), 1, 1024);
        String transportList = options.string("transport", null);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        UserpollGrpc grpc = UserpollGrpc.create(transport, threads);
        HealthStatusManager health = new HealthStatusManager();
        health.setStatus(GrpcEcho.SERVICE, ServingStatus.SERVING);
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        Server server;
        try {
            server = grpc.serverBuilder(new InetSocketAddress(host, port))
                    .addService(GrpcEcho.service())
                    .addService(health.getHealthService())
                    .maxInboundMessageSize(16 * 1024 * 1024)
                    .build().start();
        } catch (IOException e) {
            grpc.close();
            System.err.println("grpc-echo-server: cannot listen on " + host + ':' + port + ": " + e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            health.enterTerminalState();
            server.shutdown();
            try {
                if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                    server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            grpc.close();
            System.out.println("grpc-echo-server stopped");
            System.out.flush();
            stopped.countDown();
        }, "grpc-echo-server-shutdown"));
        InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
        System.out.println("grpc-echo-server listening on " + host + ':' + bound.getPort()
                + " transport=" + transport.name());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
