package dev.userpoll.transport;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.userpoll.transport.SelectedTransport.Skipped;
import dev.userpoll.transport.internal.UserpollProperties;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TransportSelectorTest {
    private final Map<String, String> properties = new HashMap<>();
    private final Map<String, String> environment = new HashMap<>();
    /** The selector's log, caught at INFO whatever the configured level (logback: Netty's test-scope backend). */
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private ch.qos.logback.classic.Logger selectorLogger;
    private ch.qos.logback.classic.Level previousLevel;

    @BeforeEach
    void captureLog() {
        assumeTrue(org.slf4j.LoggerFactory.getLogger(TransportSelector.class)
                        instanceof ch.qos.logback.classic.Logger,
                "the selector's log is read through logback, Netty's backend in the tests");
        selectorLogger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(TransportSelector.class);
        previousLevel = selectorLogger.getLevel();
        selectorLogger.setLevel(ch.qos.logback.classic.Level.INFO);
        logged.start();
        selectorLogger.addAppender(logged);
    }

    @AfterEach
    void stopCapture() {
        if (selectorLogger != null) {
            selectorLogger.detachAppender(logged);
            selectorLogger.setLevel(previousLevel);
        }
    }

    private TransportSelector selector(ClassLoader loader) {
        return new TransportSelector(properties::get, environment::get, loader);
    }

    private TransportSelector selector() {
        return selector(TransportSelector.class.getClassLoader());
    }

    /** Hides one package, as if its jar were not on the class path. */
    private static ClassLoader hiding(String packagePrefix) {
        return new ClassLoader(TransportSelector.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.startsWith(packagePrefix)) {
                    throw new ClassNotFoundException(name);
                }
                return super.loadClass(name, resolve);
            }
        };
    }

    private List<String> infoMessages() {
        List<String> out = new ArrayList<>();
        synchronized (logged) {
            for (ILoggingEvent e : logged.list) {
                if (e.getLevel() == ch.qos.logback.classic.Level.INFO) {
                    out.add(e.getFormattedMessage());
                }
            }
        }
        return out;
    }

    @Test
    void fallsBackPastAMissingJarAndLogsWhyOnce() {
        properties.put(TransportSelector.TRANSPORT_PROPERTY, "netty-epoll,nio");
        SelectedTransport t = selector(hiding("io.netty.channel.epoll.")).choose(null);

        assertEquals("nio", t.name());
        assertNull(t.ringSource());
        assertEquals(1, t.skipped().size());
        Skipped s = t.skipped().get(0);
        assertEquals("netty-epoll", s.name());
        assertInstanceOf(ClassNotFoundException.class, s.cause());
        assertTrue(s.cause().getMessage().contains("netty-transport-native-epoll is not on the class path"),
                s.cause().getMessage());

        List<String> info = infoMessages();
        assertEquals(1, info.size(), info.toString());
        String line = info.get(0);
        assertTrue(line.contains("Transport nio chosen"), line);
        assertTrue(line.contains("netty-epoll (netty-transport-native-epoll is not on the class path)"), line);
        assertTrue(line.contains("system property userpoll.transport"), line);
    }

    @Test
    void skipsAnUnavailableRingSourceWithItsCause() {
        RingSourceKind missing = Arrays.stream(RingSourceKind.values())
                .filter(k -> Userpoll.unavailabilityCause(k) != null).findFirst().orElse(null);
        assumeTrue(missing != null, "every ring source works on this machine; nothing to skip");
        Throwable cause = Userpoll.unavailabilityCause(missing);

        SelectedTransport t = selector().choose("userpoll:" + missing.configName() + ",nio");

        assertEquals("nio", t.name());
        assertEquals(List.of(new Skipped("userpoll:" + missing.configName(), cause)), t.skipped());
        List<String> info = infoMessages();
        assertEquals(1, info.size(), info.toString());
        assertTrue(info.get(0).contains("userpoll:" + missing.configName() + " ("
                + TransportSelector.describe(cause) + ')'), info.get(0));
    }

    @Test
    void plainUserpollTriesTheConfiguredRingSources() {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        environment.put(TransportSelector.RING_SOURCE_ENV, "epoll");
        environment.put(TransportSelector.IDLE_SPIN_ENV, "50us");
        SelectedTransport t = selector().choose("userpoll");

        assertEquals("userpoll:epoll", t.name());
        assertSame(RingSourceKind.EPOLL, t.ringSource());
        assertEquals(50_000, t.idlePolicy().spinNanos());
        assertSame(UserpollServerSocketChannel.class, t.serverChannelClass());
        assertSame(UserpollSocketChannel.class, t.channelClass());
        assertTrue(t.skipped().isEmpty());
        IoSubmitter io = IoSubmitter.preferred();
        assertSame(io, t.ioSubmitter());
        assertTrue(infoMessages().get(0).contains("userpoll:epoll (ring source epoll, I/O " + io.configName()
                + ", idle spin 50 us, then park)"), infoMessages().toString());
    }

    @Test
    void ioSubmitterSettingPicksTheFirstAvailableAndRejectsUnknownNames() {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        environment.put(TransportSelector.IO_SUBMITTER_ENV, "direct");
        assertSame(IoSubmitter.DIRECT, selector().choose("userpoll:epoll").ioSubmitter());

        properties.put(TransportSelector.IO_SUBMITTER_PROPERTY, "batched,direct");
        IoSubmitter expected = IoSubmitter.BATCHED.isAvailable() ? IoSubmitter.BATCHED : IoSubmitter.DIRECT;
        SelectedTransport t = selector().choose("userpoll:epoll");
        assertSame(expected, t.ioSubmitter());
        assertTrue(t.toString().contains("I/O " + expected.configName()), t.toString());
        assertEquals(null, selector().choose("nio").ioSubmitter());

        properties.put(TransportSelector.IO_SUBMITTER_PROPERTY, "batched,vectored");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> selector().choose("nio"));
        assertTrue(e.getMessage().contains("system property userpoll.ioSubmitter"), e.getMessage());
        assertTrue(e.getMessage().contains("'vectored'") && e.getMessage().contains("direct, batched"),
                e.getMessage());
    }

    @Test
    void everyChoiceNamesItsDatagramAndDomainSocketChannels() {
        SelectedTransport nio = selector().choose("nio");
        assertSame(io.netty.channel.socket.nio.NioDatagramChannel.class, nio.datagramChannelClass());
        assertSame(io.netty.channel.socket.nio.NioServerDomainSocketChannel.class,
                nio.serverDomainSocketChannelClass());
        assertSame(io.netty.channel.socket.nio.NioDomainSocketChannel.class, nio.domainSocketChannelClass());
        assertNull(nio.domainDatagramChannelClass(), "NIO has no Unix-domain datagram channel");
        // The factories make what the classes say.
        io.netty.channel.socket.DatagramChannel datagram = nio.datagramChannelFactory().newChannel();
        assertSame(nio.datagramChannelClass(), datagram.getClass());
        assertSame(nio.domainSocketChannelClass(), nio.domainSocketChannelFactory().newChannel().getClass());

        if (Userpoll.isAvailable()) {
            SelectedTransport userpoll = selector().choose(null);
            assertSame(UserpollDatagramChannel.class, userpoll.datagramChannelClass());
            assertSame(UserpollDatagramChannel.class, userpoll.datagramChannelFactory().newChannel().getClass());
            assertSame(UserpollDomainDatagramChannel.class, userpoll.domainDatagramChannelClass());
        }
        if (io.netty.channel.epoll.Epoll.isAvailable()) {
            SelectedTransport epoll = selector().choose("netty-epoll");
            assertSame(io.netty.channel.epoll.EpollDatagramChannel.class, epoll.datagramChannelClass());
            assertSame(io.netty.channel.epoll.EpollServerDomainSocketChannel.class,
                    epoll.serverDomainSocketChannelClass());
            assertSame(io.netty.channel.epoll.EpollDomainSocketChannel.class, epoll.domainSocketChannelClass());
            assertSame(io.netty.channel.epoll.EpollDomainDatagramChannel.class, epoll.domainDatagramChannelClass());
        }
        if (RingSourceKind.EPOLL.isAvailable()) {
            SelectedTransport ours = selector().choose("userpoll:epoll");
            assertSame(UserpollServerDomainSocketChannel.class, ours.serverDomainSocketChannelClass());
            assertSame(UserpollDomainSocketChannel.class, ours.domainSocketChannelClass());
            Channel domain = ours.domainSocketChannelFactory().newChannel();
            assertSame(UserpollDomainSocketChannel.class, domain.getClass());
            domain.unsafe().closeForcibly();
        }
        if (io.netty.channel.uring.IoUring.isAvailable()) {
            SelectedTransport uring = selector().choose("netty-io_uring");
            assertSame(io.netty.channel.uring.IoUringDatagramChannel.class, uring.datagramChannelClass());
            assertSame(io.netty.channel.uring.IoUringDomainSocketChannel.class, uring.domainSocketChannelClass());
            assertNull(uring.domainDatagramChannelClass(), "Netty's io_uring has no Unix-domain datagram channel");
        }
    }

    @Test
    void defaultPrefersTheBestRingSourceOfThisTransport() {
        assumeTrue(Userpoll.isAvailable(), () -> "transport unavailable: " + Userpoll.unavailabilityCause());
        SelectedTransport t = selector().choose(null);

        RingSourceKind best = UserpollIoHandler.bestAvailableSource();
        assertEquals("userpoll:" + best.configName(), t.name());
        assertSame(IdlePolicy.PARK, t.idlePolicy());
        // Every better ring source is reported as skipped, in order.
        assertEquals(best.ordinal(), t.skipped().size(), t.skipped().toString());
        assertTrue(infoMessages().get(0).contains("(default)"), infoMessages().toString());
    }

    @Test
    void propertyBeatsEnvironment() {
        properties.put(TransportSelector.TRANSPORT_PROPERTY, "nio");
        environment.put(TransportSelector.TRANSPORT_ENV, "no-such-transport");
        assertEquals("nio", selector().choose(null).name());

        properties.clear();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> selector().choose(null));
        assertTrue(e.getMessage().contains("environment variable USERPOLL_TRANSPORT"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"userpoll,bogus", "bogus", "userpoll:bogus", "netty-nio", ","})
    void unknownTransportIsAnErrorListingTheValidOnes(String value) {
        properties.put(TransportSelector.TRANSPORT_PROPERTY, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> selector().choose(null));
        for (String valid : TransportSelector.VALID_TRANSPORTS) {
            assertTrue(e.getMessage().contains(valid), e.getMessage());
        }
        assertTrue(e.getMessage().contains("system property userpoll.transport"), e.getMessage());
        assertTrue(infoMessages().isEmpty(), "nothing was chosen, nothing logged");
    }

    @Test
    void aTypoAfterTheWinnerIsStillAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selector().choose("nio,netty-epol"));
        assertTrue(e.getMessage().contains("'netty-epol'"), e.getMessage());
    }

    @Test
    void bareEpollPointsAtBothMeanings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> selector().choose("epoll"));
        assertTrue(e.getMessage().contains("netty-epoll"), e.getMessage());
        assertTrue(e.getMessage().contains("userpoll:epoll"), e.getMessage());
    }

    @Test
    void badRingSourceIdleSpinAndRingSizeAreErrors() {
        environment.put(TransportSelector.RING_SOURCE_ENV, "io_uring,kqueue");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> selector().choose("nio"));
        assertTrue(e.getMessage().contains("'kqueue'"), e.getMessage());
        assertTrue(e.getMessage().contains("userpoll, io_uring, epoll"), e.getMessage());
        environment.clear();

        properties.put(TransportSelector.IDLE_SPIN_PROPERTY, "50 parsecs");
        e = assertThrows(IllegalArgumentException.class, () -> selector().choose("nio"));
        assertTrue(e.getMessage().contains("system property userpoll.idleSpin"), e.getMessage());
        assertTrue(e.getMessage().contains("50us"), e.getMessage());
        properties.clear();

        properties.put(TransportSelector.RING_SIZE_PROPERTY, "-1");
        e = assertThrows(IllegalArgumentException.class, () -> selector().choose("nio"));
        assertTrue(e.getMessage().contains("userpoll.ringSize"), e.getMessage());
    }

    @Test
    void idleSpinUnits() {
        assertSame(IdlePolicy.PARK, spin("0"));
        assertSame(IdlePolicy.PARK, spin("PARK"));
        assertEquals(750, spin("750ns").spinNanos());
        assertEquals(50_000, spin("50us").spinNanos());
        assertEquals(50_000, spin("50\u00b5s").spinNanos());
        assertEquals(1_000_000, spin("1ms").spinNanos());
        assertEquals(2_000_000_000L, spin("2 s").spinNanos());
    }

    private static IdlePolicy spin(String v) {
        return IdlePolicy.parse(new UserpollProperties.Setting("test", v));
    }

    @Test
    void nothingAvailableIsAnErrorCarryingEveryCause() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> selector(hiding("io.netty.channel.")).choose("netty-epoll,netty-io_uring"));
        assertEquals(2, e.getSuppressed().length);
        assertTrue(e.getMessage().contains("netty-io_uring (netty-transport-native-io_uring is not on the class path)"),
                e.getMessage());
    }

    /** Whatever wins must work: an echo through a server and a client built only from the selection. */
    @ParameterizedTest
    @ValueSource(strings = {"userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio"})
    void eachEntryServesAnEcho(String name) throws Exception {
        SelectedTransport t;
        try {
            t = selector().choose(name);
        } catch (IllegalStateException e) {
            assumeTrue(false, () -> name + " is unavailable here: " + e.getMessage());
            return;
        }
        assertEquals(name, t.name());
        EventLoopGroup group = t.newEventLoopGroup(2);
        try {
            Channel server = new ServerBootstrap().group(group).channelFactory(t.serverChannelFactory())
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            byte[] data = new byte[256 * 1024];
            new Random(7).nextBytes(data);
            ByteBuf received = Unpooled.buffer(data.length);
            CompletableFuture<byte[]> done = new CompletableFuture<>();
            Channel client = new Bootstrap().group(group).channel(t.channelClass())
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                    received.writeBytes(msg);
                                    if (received.readableBytes() == data.length) {
                                        byte[] out = new byte[data.length];
                                        received.readBytes(out);
                                        done.complete(out);
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    done.completeExceptionally(cause);
                                }
                            });
                        }
                    }).connect(server.localAddress()).sync().channel();
            assertSame(t.channelClass(), client.getClass());
            assertSame(t.serverChannelClass(), server.getClass());
            client.writeAndFlush(Unpooled.wrappedBuffer(data)).sync();
            assertArrayEquals(data, done.get(30, TimeUnit.SECONDS));
            client.close().sync();
            server.close().sync();
            received.release();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }
}
