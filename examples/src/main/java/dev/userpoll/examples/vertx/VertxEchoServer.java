package dev.userpoll.examples.vertx;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import dev.userpoll.transport.vertx.UserpollVertxTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x 5 HTTP echo server on the transport {@code --transport} (or {@code userpoll.transport}) chooses, through
 * {@code Vertx.builder().withTransport(UserpollVertxTransport.of(...))}: {@code GET /} answers
 * {@code Hello, World!}, {@code POST}/{@code PUT /echo} the request body with its content type, {@code GET /transport}
 * the choice and the Vert.x transport running it; anything else 404. One line when it listens, one when it stopped
 * (SIGINT/SIGTERM).
 */
public final class VertxEchoServer {
    public static final String OPTIONS = "[--port P (8080)] [--host ADDR (127.0.0.1)] [--transport LIST]";

    private VertxEchoServer() {
    }

    public static int run(Options options) throws Exception {
        int port = options.integer("port", 8080, 0, 65535);
        String host = options.string("host", "127.0.0.1");
        String transportList = options.string("transport", null);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        Vertx vertx = Vertx.builder().withTransport(UserpollVertxTransport.of(transport)).build();
        String running = transport.name() + " vertx-transport="
                + ((VertxInternal) vertx).transport().getClass().getSimpleName();
        HttpServer server;
        try {
            server = await(vertx.createHttpServer().requestHandler(req -> handle(req, running)).listen(port, host));
        } catch (Exception e) {
            await(vertx.close());
            System.err.println("vertx-echo-server: cannot listen on " + host + ':' + port + ": " + e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                // Awaited one by one from this thread: a future composed on the server's context would complete on
                // an event loop that vertx.close() has already terminated.
                await(server.close());
                await(vertx.close());
                System.out.println("vertx-echo-server stopped");
            } catch (Exception e) {
                System.out.println("vertx-echo-server stopped with " + e);
            }
            System.out.flush();
            stopped.countDown();
        }, "vertx-echo-server-shutdown"));
        System.out.println("vertx-echo-server listening on http://" + host + ':' + server.actualPort() + "/ transport="
                + running);
        System.out.flush();
        stopped.await();
        return 0;
    }

    private static void handle(HttpServerRequest req, String running) {
        String path = req.path();
        if ("/".equals(path) && req.method() == HttpMethod.GET) {
            req.response().putHeader("content-type", "text/plain").end("Hello, World!");
        } else if ("/transport".equals(path) && req.method() == HttpMethod.GET) {
            req.response().putHeader("content-type", "text/plain").end(running);
        } else if ("/echo".equals(path) && (req.method() == HttpMethod.POST || req.method() == HttpMethod.PUT)) {
            String type = req.getHeader("content-type");
            req.body().onSuccess(body -> {
                if (type != null) {
                    req.response().putHeader("content-type", type);
                }
                req.response().end(body);
            }).onFailure(e -> req.response().setStatusCode(400).end());
        } else {
            req.response().setStatusCode(404).end();
        }
    }

    private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
