package dev.userpoll.transport.frameworks;

import dev.userpoll.transport.FrameworkChoices;
import dev.userpoll.transport.FrameworkChoices.Choice;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.vertx.UserpollVertxTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.userpoll.transport.FrameworkChoices.payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vert.x 5 through {@code Vertx.builder().withTransport(UserpollVertxTransport.of(...))}, on every transport choice:
 * HTTP server and client (a host name, so Vert.x's resolver runs), TCP, UDP and Unix-domain HTTP where the choice
 * has those channels; every byte checked.
 */
class VertxTransportTest {
    static List<Choice> choices() {
        return FrameworkChoices.all();
    }

    private static Future<Buffer> echo(HttpClient client, int port, int size) {
        return client.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("localhost").setPort(port)
                        .setURI("/echo"))
                .compose(req -> req.send(Buffer.buffer(payload(size))))
                .compose(HttpClientResponse::body);
    }

        private static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void httpTcpUdpAndDomainSockets(Choice choice, @TempDir Path dir) throws Exception {
        SelectedTransport t = choice.transport();
        Transport transport = UserpollVertxTransport.of(t);
        if (t.isUserpoll()) {
            assertTrue(transport instanceof UserpollVertxTransport, transport.toString());
        }
        Vertx vertx = Vertx.builder().withTransport(transport).build();
        try {
            assertSame(transport.implementation().getClass(), ((io.vertx.core.internal.VertxInternal) vertx)
                    .transport().getClass(), "Vert.x runs on the transport it was given");

            HttpServer server = await(vertx.createHttpServer()
                    .requestHandler(req -> req.body().onSuccess(body -> req.response()
                            .putHeader("x-server-channel", req.connection().getClass().getName())
                            .end(body)))
                    .listen(0, "127.0.0.1"));
            // The server on the choice, driven by the JDK's client: bodies of several sizes at once, every byte checked.
            java.net.http.HttpClient jdk = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            List<Integer> sizes = List.of(0, 1, 8191, 65536, 2 * 1024 * 1024 + 3);
            List<CompletableFuture<java.net.http.HttpResponse<byte[]>>> bodies = new ArrayList<>();
            for (int size : sizes) {
                bodies.add(jdk.sendAsync(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + server.actualPort() + "/echo"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(payload(size))).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray()));
            }
            for (int i = 0; i < sizes.size(); i++) {
                assertArrayEquals(payload(sizes.get(i)), bodies.get(i).get(30, TimeUnit.SECONDS).body(),
                        "HTTP body of " + sizes.get(i) + " bytes");
            }
            // Vert.x's own client on the choice, through its address resolver ("localhost"). A connection per request:
            // Vert.x 5.0.7's client now and then never completes a request on a reused keep-alive connection, on
            // Netty's transports as on this one (about 1 round in 30 of five requests), which a test cannot afford.
            // The stall was also seen once on a new connection (NIO, in a full run): a request that has not completed
            // in 10 s is sent once more, logged; two stalls in a row fail the test.
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
            for (int size : List.of(1, 100_000)) {
                Buffer body;
                try {
                    body = echo(client, server.actualPort(), size).toCompletionStage().toCompletableFuture()
                            .get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    System.out.println("VertxTransportTest: Vert.x client request of " + size + " bytes on " + choice
                            + " did not complete in 10 s; sent once more");
                    body = await(echo(client, server.actualPort(), size));
                }
                assertArrayEquals(payload(size), body.getBytes(), "Vert.x client, " + size + " bytes");
            }

            NetServer tcp = await(vertx.createNetServer()
                    .connectHandler(so -> so.handler(so::write)).listen(0, "127.0.0.1"));
            NetClient netClient = vertx.createNetClient();
            NetSocket socket = await(netClient.connect(tcp.actualPort(), "127.0.0.1"));
            byte[] tcpPayload = payload(300_000);
            CompletableFuture<byte[]> echoed = new CompletableFuture<>();
            Buffer acc = Buffer.buffer();
            socket.handler(b -> {
                acc.appendBuffer(b);
                if (acc.length() >= tcpPayload.length) {
                    echoed.complete(acc.getBytes());
                }
            });
            socket.write(Buffer.buffer(tcpPayload));
            assertArrayEquals(tcpPayload, echoed.get(30, TimeUnit.SECONDS), "TCP echo");
            await(socket.close());

            if (transport.implementation().supportsDomainSockets()) {
                SocketAddress path = SocketAddress.domainSocketAddress(dir.resolve("vertx.sock").toString());
                HttpServer uds = await(vertx.createHttpServer()
                        .requestHandler(req -> req.body().onSuccess(body -> req.response().end(body)))
                        .listen(path));
                // A plain JDK Unix-domain socket as the client: one HTTP/1.1 request, the response read to its end.
                byte[] body = udsPost(dir.resolve("vertx.sock"), payload(100_000));
                assertArrayEquals(payload(100_000), body, "HTTP over a Unix-domain socket");
                await(uds.close());
            } else {
                System.out.println(choice + ": no Unix-domain channels, Vert.x domain sockets not tried");
            }

            if (t.datagramChannelClass() != null || !t.isUserpoll()) {
                DatagramSocket receiver = await(vertx.createDatagramSocket().listen(0, "127.0.0.1"));
                CompletableFuture<byte[]> datagram = new CompletableFuture<>();
                receiver.handler(p -> datagram.complete(p.data().getBytes()));
                DatagramSocket sender = vertx.createDatagramSocket();
                await(sender.send(Buffer.buffer(payload(1400)), receiver.localAddress().port(), "127.0.0.1"));
                assertArrayEquals(payload(1400), datagram.get(30, TimeUnit.SECONDS), "UDP datagram");
                await(sender.close());
                await(receiver.close());
            } else {
                System.out.println(choice + ": no UDP channel yet, Vert.x datagram sockets not tried");
            }
            await(client.close());
            await(netClient.close());
            await(server.close());
            await(tcp.close());
        } finally {
            await(vertx.close());
        }
    }

    /**
     * Vert.x's DNS: its client and the resolver its HTTP client uses both ask the transport for a datagram channel.
     * A loopback DNS server answers every name with 127.0.0.1.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void dnsClientAndResolverUseTheDatagramChannel(Choice choice) throws Exception {
        SelectedTransport t = choice.transport();
        Assumptions.assumeTrue(t.datagramChannelClass() != null,
                () -> choice + " has no UDP channel yet: Vert.x DNS needs one");
        try (FakeDnsServer dns = new FakeDnsServer()) {
            Vertx vertx = Vertx.builder()
                    .with(new io.vertx.core.VertxOptions().setAddressResolverOptions(
                            new io.vertx.core.dns.AddressResolverOptions()
                                    .addServer("127.0.0.1:" + dns.port()).setHostsValue(Buffer.buffer())
                                    .setOptResourceEnabled(false).setMaxQueries(1).setQueryTimeout(5000)))
                    .withTransport(UserpollVertxTransport.of(t)).build();
            try {
                assertEquals("127.0.0.1", await(vertx.createDnsClient(dns.port(), "127.0.0.1")
                        .lookup4("echo.userpoll.test")));
                HttpServer server = await(vertx.createHttpServer()
                        .requestHandler(req -> req.body().onSuccess(b -> req.response().end(b)))
                        .listen(0, "127.0.0.1"));
                HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
                // No hosts file entry: the name resolves only through the DNS server, over the datagram channel.
                Buffer body = await(client.request(new RequestOptions().setMethod(HttpMethod.POST)
                                .setHost("echo.userpoll.test").setPort(server.actualPort()).setURI("/"))
                        .compose(req -> req.send(Buffer.buffer(payload(10_000))))
                        .compose(HttpClientResponse::body));
                assertArrayEquals(payload(10_000), body.getBytes());
                assertTrue(dns.queries.get() >= 2, "queries: " + dns.queries.get());
                await(client.close());
                await(server.close());
            } finally {
                await(vertx.close());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void eachChoiceMapsToItsVertxTransport(Choice choice) {
        Transport transport = UserpollVertxTransport.of(choice.transport());
        switch (choice.transport().name()) {
            case "netty-epoll" -> assertSame(Transport.EPOLL, transport);
            case "netty-io_uring" -> assertSame(Transport.IO_URING, transport);
            case "nio" -> assertSame(Transport.NIO, transport);
            default -> {
                assertEquals(choice.transport().name(), transport.name());
                assertTrue(transport.available());
                if (choice.transport().datagramChannelClass() != null) {
                    io.netty.channel.socket.DatagramChannel ch = transport.implementation().datagramChannel();
                    assertSame(choice.transport().datagramChannelClass(), ch.getClass());
                    ch.unsafe().closeForcibly();
                } else {
                    UnsupportedOperationException e = org.junit.jupiter.api.Assertions.assertThrows(
                            UnsupportedOperationException.class, () -> transport.implementation().datagramChannel());
                    assertTrue(e.getMessage().contains("UDP"), e.getMessage());
                }
            }
        }
    }

    /** POSTs {@code body} over a Unix-domain socket with {@code Connection: close}; returns the response body. */
    private static byte[] udsPost(Path socket, byte[] body) throws Exception {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            byte[] head = ("POST /uds HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(head.length + body.length).put(head).put(body).flip();
            while (out.hasRemaining()) {
                ch.write(out);
            }
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(65536);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ch.read(in.clear()) >= 0) {
                all.write(in.array(), 0, in.position());
                assertTrue(System.nanoTime() < deadline, "no end of the response within 30 s");
            }
            byte[] response = all.toByteArray();
            String text = new String(response, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200"), text.substring(0, Math.min(200, text.length())));
            int start = text.indexOf("\r\n\r\n") + 4;
            return java.util.Arrays.copyOfRange(response, start, response.length);
        }
    }
}
