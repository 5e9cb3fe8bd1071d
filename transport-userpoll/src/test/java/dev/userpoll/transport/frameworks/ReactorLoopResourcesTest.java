package dev.userpoll.transport.frameworks;

import dev.userpoll.transport.FrameworkChoices;
import dev.userpoll.transport.FrameworkChoices.Choice;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.reactor.UserpollLoopResources;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.tcp.TcpClient;
import reactor.netty.tcp.TcpServer;
import reactor.netty.udp.UdpClient;
import reactor.netty.udp.UdpServer;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * reactor-netty's HttpServer/HttpClient, TcpServer/TcpClient and UdpServer/UdpClient on {@link UserpollLoopResources},
 * on every transport choice: every echoed byte checked, the channels of the choice used on both sides, the loops
 * colocated and disposed gracefully.
 */
class ReactorLoopResourcesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    static List<Choice> choices() {
        return FrameworkChoices.all();
    }

    private static byte[] payload(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void httpAndTcpEchoOnTheChoice(Choice choice) throws Exception {
        SelectedTransport t = choice.transport();
        UserpollLoopResources loops = UserpollLoopResources.create(t, "test", -1, 2, true, true);
        Set<Class<?>> channelClasses = ConcurrentHashMap.newKeySet();
        Set<Thread> serverThreads = ConcurrentHashMap.newKeySet();
        DisposableServer http = HttpServer.create().runOn(loops).host("127.0.0.1").port(0)
                .doOnConnection(c -> channelClasses.add(c.channel().getClass()))
                .route(r -> r.post("/echo", (req, res) -> {
                    serverThreads.add(Thread.currentThread());
                    return res.send(req.receive().retain());
                }))
                .bindNow(TIMEOUT);
        DisposableServer tcp = TcpServer.create().runOn(loops).host("127.0.0.1").port(0)
                .handle((in, out) -> out.send(in.receive().retain()))
                .bindNow(TIMEOUT);
        ConnectionProvider pool = ConnectionProvider.create("test-" + choice.label(), 4);
        try {
            assertEquals(t.serverChannelClass(), http.channel().getClass());
            HttpClient client = HttpClient.create(pool).runOn(loops)
                    .doOnConnected(c -> channelClasses.add(c.channel().getClass()))
                    .baseUrl("http://127.0.0.1:" + ((InetSocketAddress) http.address()).getPort());
            // Sizes around the allocator's and the batch's boundaries, and one large body; concurrent requests.
            List<Integer> sizes = List.of(1, 1023, 65536, 3 * 1024 * 1024 + 7);
            List<byte[]> echoed = Flux.fromIterable(sizes)
                    .flatMap(size -> client.post().uri("/echo")
                            .send(ByteBufFlux.fromInbound(Mono.just(payload(size, size))))
                            .responseSingle((res, body) -> body.asByteArray()))
                    .collectList().block(TIMEOUT);
            assertEquals(sizes.size(), echoed.size());
            for (byte[] e : echoed) {
                assertTrue(sizes.contains(e.length), "echoed length " + e.length);
                assertArrayEquals(payload(e.length, e.length), e, "echoed body of " + e.length + " bytes");
            }
            assertEquals(Set.of(t.channelClass()), channelClasses, "server and client channels on " + choice);
            for (Thread thread : serverThreads) {
                assertTrue(thread.getName().startsWith("test-"), thread.getName());
            }

            // TCP: one connection, bytes in several writes, all echoed in order.
            byte[] tcpPayload = payload(200_000, 7);
            Connection conn = TcpClient.create(ConnectionProvider.newConnection()).runOn(loops)
                    .remoteAddress(tcp::address).connectNow(TIMEOUT);
            try {
                assertEquals(t.channelClass(), conn.channel().getClass());
                conn.outbound().send(Flux.range(0, 4).map(i -> Unpooled.wrappedBuffer(tcpPayload,
                        i * 50_000, 50_000))).then().subscribe();
                byte[] got = conn.inbound().receive().asByteArray()
                        .scan(new byte[0], (acc, b) -> {
                            byte[] n = new byte[acc.length + b.length];
                            System.arraycopy(acc, 0, n, 0, acc.length);
                            System.arraycopy(b, 0, n, acc.length, b.length);
                            return n;
                        })
                        .filter(acc -> acc.length >= tcpPayload.length).blockFirst(TIMEOUT);
                assertArrayEquals(tcpPayload, got);
            } finally {
                conn.disposeNow(TIMEOUT);
            }
        } finally {
            http.disposeNow(TIMEOUT);
            tcp.disposeNow(TIMEOUT);
            pool.disposeLater().block(TIMEOUT);
        }
        EventLoopGroup server = loops.onServer(true);
        assertTrue(loops.onClient(true).next() instanceof io.netty.channel.EventLoop);
        // A short quiet period: connections the clients just closed finish closing on their loops first.
        loops.disposeLater(Duration.ofMillis(100), Duration.ofSeconds(5)).block(TIMEOUT);
        assertTrue(loops.isDisposed());
        assertTrue(server.isTerminated(), "server loops terminated after disposeLater");
        UserpollLoopResources separate = UserpollLoopResources.create(t, "separate", -1, 1, true, false);
        separate.dispose();
        assertThrows(IllegalStateException.class, () -> separate.onClient(true), "no loops after dispose");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void udpEchoOnTheChoice(Choice choice) {
        SelectedTransport t = choice.transport();
        Assumptions.assumeTrue(t.datagramChannelClass() != null,
                () -> choice + " has no UDP channel yet: UdpServer would be refused");
        UserpollLoopResources loops = UserpollLoopResources.create(t, "udp", -1, 1, true, true);
        try {
            Connection server = UdpServer.create().runOn(loops).host("127.0.0.1").port(0)
                    .handle((in, out) -> out.sendObject(in.receiveObject()
                            .map(o -> (DatagramPacket) o)
                            .map(p -> new DatagramPacket(p.content().retain(), p.sender()))))
                    .bindNow(TIMEOUT);
            try {
                assertEquals(t.datagramChannelClass(), server.channel().getClass());
                Connection client = UdpClient.create().runOn(loops).remoteAddress(server::address)
                        .connectNow(TIMEOUT);
                try {
                    byte[] datagram = payload(1200, 3);
                    client.outbound().sendByteArray(Mono.just(datagram)).then().subscribe();
                    byte[] got = client.inbound().receive().asByteArray().blockFirst(TIMEOUT);
                    assertArrayEquals(datagram, got);
                } finally {
                    client.disposeNow(TIMEOUT);
                }
            } finally {
                server.disposeNow(TIMEOUT);
            }
        } finally {
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(TIMEOUT);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void httpOverUnixDomainSockets(Choice choice, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        SelectedTransport t = choice.transport();
        Assumptions.assumeTrue(t.serverDomainSocketChannelClass() != null
                        && io.netty.channel.unix.ServerDomainSocketChannel.class
                        .isAssignableFrom(t.serverDomainSocketChannelClass()),
                () -> choice + " has no io.netty.channel.unix domain channels (reactor-netty needs those)");
        UserpollLoopResources loops = UserpollLoopResources.create(t, "uds", -1, 1, true, true);
        io.netty.channel.unix.DomainSocketAddress path =
                new io.netty.channel.unix.DomainSocketAddress(dir.resolve("reactor.sock").toString());
        Set<Class<?>> channelClasses = ConcurrentHashMap.newKeySet();
        DisposableServer http = HttpServer.create().runOn(loops).bindAddress(() -> path)
                .doOnConnection(c -> channelClasses.add(c.channel().getClass()))
                .handle((req, res) -> res.send(req.receive().retain()))
                .bindNow(TIMEOUT);
        try {
            assertEquals(t.serverDomainSocketChannelClass(), http.channel().getClass());
            byte[] body = payload(300_000, 11);
            byte[] echoed = HttpClient.create(ConnectionProvider.newConnection()).runOn(loops).remoteAddress(() -> path)
                    .post().uri("/").send(ByteBufFlux.fromInbound(Mono.just(body)))
                    .responseSingle((res, b) -> b.asByteArray()).block(TIMEOUT);
            assertArrayEquals(body, echoed);
            assertEquals(Set.of(t.domainSocketChannelClass()), channelClasses);
        } finally {
            http.disposeNow(TIMEOUT);
            // A short quiet period: the client's connection finishes closing on its loop first.
            loops.disposeLater(Duration.ofMillis(100), Duration.ofSeconds(5)).block(TIMEOUT);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void aMissingChannelKindIsNamed(Choice choice) {
        UserpollLoopResources loops = UserpollLoopResources.create(choice.transport(), "kinds");
        Channel ch = loops.onChannel(io.netty.channel.socket.SocketChannel.class, null);
        assertEquals(choice.transport().channelClass(), ch.getClass());
        ch.unsafe().closeForcibly();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loops.onChannelClass(io.netty.channel.socket.DuplexChannel.class, null));
        assertTrue(e.getMessage().contains("DuplexChannel"), e.getMessage());
        if (choice.transport().datagramChannelClass() == null) {
            UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                    () -> loops.onChannelClass(io.netty.channel.socket.DatagramChannel.class, null));
            assertTrue(u.getMessage().contains(choice.transport().name()), u.getMessage());
        }
        assertFalse(loops.isDisposed());
        loops.disposeLater().block(TIMEOUT);
    }
}
