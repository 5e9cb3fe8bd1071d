package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultMaxBytesRecvByteBufAllocator;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.Socket;
import io.netty.util.NetUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class UserpollChannelConfigTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final AtomicInteger autoReadCleared = new AtomicInteger();

    @BeforeAll
    static void loadNative() {
        // Loads the JNI library, which also registers io.netty.channel.unix's natives.
        assertTrue(Native.PAGE_SIZE > 0);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Socket newSocket() {
        Socket socket = Socket.newSocketStream();
        toClose.add(() -> {
            if (socket.isOpen()) {
                socket.close();
            }
        });
        return socket;
    }

    private EmbeddedChannel dummyChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        toClose.add(() -> channel.finishAndReleaseAll());
        return channel;
    }

    private UserpollSocketChannelConfig clientConfig(Socket socket) {
        return new UserpollSocketChannelConfig(dummyChannel(), socket, autoReadCleared::incrementAndGet);
    }

    private UserpollServerSocketChannelConfig serverConfig(Socket socket) {
        return new UserpollServerSocketChannelConfig(dummyChannel(), socket, autoReadCleared::incrementAndGet);
    }

    private static int tcp(Socket socket, int optname) throws IOException {
        return socket.getIntOpt(Native.IPPROTO_TCP, optname);
    }

    /** Sets through the option map, reads back through it, and returns what came back. */
    private static <T> T roundTrip(ChannelConfig config, ChannelOption<T> option, T value) {
        assertTrue(config.setOption(option, value), option + " not accepted");
        return config.getOption(option);
    }

    @Test
    void streamDefaults() throws IOException {
        Socket socket = newSocket();
        UserpollSocketChannelConfig config = clientConfig(socket);
        assertTrue(socket.isTcpNoDelay(), "TCP_NODELAY is set on the fd at construction");
        assertTrue(config.isTcpNoDelay());
        assertFalse(config.isAllowHalfClosure());
        assertFalse(config.isTcpFastOpenConnect());
        assertTrue(config.isAutoRead());
        assertInstanceOf(AdaptiveRecvByteBufAllocator.class, config.getRecvByteBufAllocator());
        assertEquals(16, config.<AdaptiveRecvByteBufAllocator>getRecvByteBufAllocator().maxMessagesPerRead());
        assertEquals(2L * socket.getSendBufferSize(), config.getMaxBytesPerGatheringWrite());
        // TCP_NOTSENT_LOWAT is a uint32_t whose default is often UINT32_MAX: it must not come back negative.
        long lowAt = config.getTcpNotSentLowAt();
        assertTrue(lowAt >= 0, "negative TCP_NOTSENT_LOWAT: " + lowAt);
        assertEquals(tcp(socket, Native.TCP_NOTSENT_LOWAT) & 0xFFFFFFFFL, lowAt);
    }

    @Test
    void streamOptionsRoundTripAndReachTheKernel() throws IOException {
        Socket socket = newSocket();
        UserpollSocketChannelConfig config = clientConfig(socket);

        assertFalse(roundTrip(config, ChannelOption.TCP_NODELAY, false));
        assertFalse(socket.isTcpNoDelay());
        assertTrue(roundTrip(config, ChannelOption.TCP_NODELAY, true));
        assertTrue(socket.isTcpNoDelay());

        assertTrue(roundTrip(config, ChannelOption.SO_KEEPALIVE, true));
        assertTrue(socket.isKeepAlive());
        assertTrue(roundTrip(config, ChannelOption.SO_REUSEADDR, true));
        assertTrue(socket.isReuseAddress());
        assertTrue(roundTrip(config, UserpollChannelOption.SO_REUSEPORT, true));
        assertTrue(socket.isReusePort());
        assertEquals(7, roundTrip(config, ChannelOption.SO_LINGER, 7));
        assertEquals(7, socket.getSoLinger());
        assertEquals(-1, roundTrip(config, ChannelOption.SO_LINGER, -1), "a negative linger switches it off");

        // The kernel doubles SO_RCVBUF / SO_SNDBUF for its own bookkeeping.
        int rcv = roundTrip(config, ChannelOption.SO_RCVBUF, 96 * 1024);
        assertTrue(rcv >= 96 * 1024, "SO_RCVBUF " + rcv);
        assertEquals(socket.getReceiveBufferSize(), rcv);
        int snd = roundTrip(config, ChannelOption.SO_SNDBUF, 80 * 1024);
        assertTrue(snd >= 80 * 1024, "SO_SNDBUF " + snd);
        assertEquals(socket.getSendBufferSize(), snd);
        assertEquals(2L * snd, config.getMaxBytesPerGatheringWrite(), "follows SO_SNDBUF");

        assertEquals(0x10, roundTrip(config, ChannelOption.IP_TOS, 0x10));
        assertEquals(0x10, socket.getTrafficClass());
        assertEquals(0x10, socket.getIntOpt(Native.IPPROTO_IP, Native.IP_TOS));

        assertTrue(roundTrip(config, ChannelOption.ALLOW_HALF_CLOSURE, true));
        assertTrue(config.isAllowHalfClosure());

        assertTrue(roundTrip(config, UserpollChannelOption.TCP_CORK, true));
        assertEquals(1, tcp(socket, Native.TCP_CORK));
        assertFalse(roundTrip(config, UserpollChannelOption.TCP_CORK, false));
        assertEquals(0, tcp(socket, Native.TCP_CORK));

        assertEquals(16384L, roundTrip(config, UserpollChannelOption.TCP_NOTSENT_LOWAT, 16384L));
        assertEquals(16384, tcp(socket, Native.TCP_NOTSENT_LOWAT));
        assertEquals(0xFFFFFFFEL, roundTrip(config, UserpollChannelOption.TCP_NOTSENT_LOWAT, 0xFFFFFFFEL),
                "unsigned 32-bit values survive the int crossing");
        assertEquals(0xFFFFFFFE, tcp(socket, Native.TCP_NOTSENT_LOWAT));
        assertThrows(IllegalArgumentException.class, () -> config.setTcpNotSentLowAt(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> config.setTcpNotSentLowAt(-1));

        assertEquals(77, roundTrip(config, UserpollChannelOption.TCP_KEEPIDLE, 77));
        assertEquals(77, tcp(socket, Native.TCP_KEEPIDLE));
        assertEquals(13, roundTrip(config, UserpollChannelOption.TCP_KEEPINTVL, 13));
        assertEquals(13, tcp(socket, Native.TCP_KEEPINTVL));
        assertEquals(4, roundTrip(config, UserpollChannelOption.TCP_KEEPCNT, 4));
        assertEquals(4, tcp(socket, Native.TCP_KEEPCNT));
        assertEquals(12345, roundTrip(config, UserpollChannelOption.TCP_USER_TIMEOUT, 12345));
        assertEquals(12345, tcp(socket, Native.TCP_USER_TIMEOUT));

        assertFalse(roundTrip(config, UserpollChannelOption.TCP_QUICKACK, false));
        assertEquals(0, tcp(socket, Native.TCP_QUICKACK));
        assertTrue(roundTrip(config, UserpollChannelOption.TCP_QUICKACK, true));
        assertEquals(1, tcp(socket, Native.TCP_QUICKACK));

        // A kernel error is a ChannelException (EINVAL here: the kernel refuses a keep-alive count of 0).
        assertThrows(ChannelException.class, () -> config.setTcpKeepCnt(0));
        assertEquals(4, tcp(socket, Native.TCP_KEEPCNT));
    }

    @Test
    void busyPollReachesTheKernel() throws IOException {
        Socket socket = newSocket();
        UserpollSocketChannelConfig config = clientConfig(socket);
        int before = config.getSoBusyPoll();
        assertEquals(socket.getIntOpt(Native.SOL_SOCKET, Native.SO_BUSY_POLL), before);
        try {
            config.setSoBusyPoll(before + 50);
        } catch (ChannelException e) {
            assumeTrue(false, "raising SO_BUSY_POLL is refused here (needs CAP_NET_ADMIN): " + e.getCause());
        }
        assertEquals(before + 50, config.getOption(UserpollChannelOption.SO_BUSY_POLL));
        assertEquals(before + 50, socket.getIntOpt(Native.SOL_SOCKET, Native.SO_BUSY_POLL));
        assertEquals(0, roundTrip(config, UserpollChannelOption.SO_BUSY_POLL, 0), "lowering needs no privilege");
        assertThrows(IllegalArgumentException.class, () -> config.setSoBusyPoll(-1));
    }

    @Test
    void tcpFastOpenConnectIsStoredAndSetOnTheFd() throws IOException {
        Socket socket = newSocket();
        UserpollSocketChannelConfig config = clientConfig(socket);
        assertEquals(0, tcp(socket, Native.TCP_FASTOPEN_CONNECT));
        try {
            config.setOption(ChannelOption.TCP_FASTOPEN_CONNECT, true);
        } catch (ChannelException e) {
            assertFalse(config.isTcpFastOpenConnect(), "a refused option must leave the flag off");
            assumeTrue(false, "the kernel refuses TCP_FASTOPEN_CONNECT (Linux < 4.11, or the client bit of "
                    + "net.ipv4.tcp_fastopen is off): " + e.getCause());
        }
        assertTrue(config.isTcpFastOpenConnect());
        assertTrue(config.getOption(UserpollChannelOption.TCP_FASTOPEN_CONNECT));
        assertEquals(1, tcp(socket, Native.TCP_FASTOPEN_CONNECT));
        assertFalse(roundTrip(config, UserpollChannelOption.TCP_FASTOPEN_CONNECT, false));
        assertEquals(0, tcp(socket, Native.TCP_FASTOPEN_CONNECT));
    }

    @Test
    void serverDefaults() throws IOException {
        Socket socket = newSocket();
        UserpollServerSocketChannelConfig config = serverConfig(socket);
        assertTrue(socket.isReuseAddress(), "SO_REUSEADDR is set on the fd at construction");
        assertTrue(config.isReuseAddress());
        assertEquals(NetUtil.SOMAXCONN, config.getBacklog());
        assertEquals(0, config.getTcpFastopen());
        assertInstanceOf(ServerChannelRecvByteBufAllocator.class, config.getRecvByteBufAllocator());
        assertEquals(16, config.getMaxMessagesPerRead());
    }

    @Test
    void serverOptionsRoundTripAndReachTheKernel() throws IOException {
        Socket socket = newSocket();
        UserpollServerSocketChannelConfig config = serverConfig(socket);

        assertEquals(17, roundTrip(config, ChannelOption.SO_BACKLOG, 17));
        assertEquals(17, config.getBacklog());
        assertThrows(IllegalArgumentException.class, () -> config.setBacklog(-1));
        assertFalse(roundTrip(config, ChannelOption.SO_REUSEADDR, false));
        assertFalse(socket.isReuseAddress());
        assertTrue(roundTrip(config, ChannelOption.SO_REUSEADDR, true));
        assertTrue(roundTrip(config, UserpollChannelOption.SO_REUSEPORT, true));
        assertTrue(socket.isReusePort());
        int rcv = roundTrip(config, ChannelOption.SO_RCVBUF, 96 * 1024);
        assertTrue(rcv >= 96 * 1024, "SO_RCVBUF " + rcv);
        assertEquals(socket.getReceiveBufferSize(), rcv);

        // The kernel keeps TCP_DEFER_ACCEPT as SYN-ACK retransmissions: 1, 3, 7 seconds map back exactly.
        assertEquals(3, roundTrip(config, UserpollChannelOption.TCP_DEFER_ACCEPT, 3));
        assertEquals(3, tcp(socket, Native.TCP_DEFER_ACCEPT));

        assertEquals(5, roundTrip(config, UserpollChannelOption.TCP_FASTOPEN, 5));
        assertEquals(5, tcp(socket, Native.TCP_FASTOPEN), "applied before listen");
        assertSame(ChannelOption.TCP_FASTOPEN, UserpollChannelOption.TCP_FASTOPEN);
    }

    @Test
    void tcpFastOpenOnAListeningSocket() throws IOException {
        Socket socket = newSocket();
        UserpollServerSocketChannelConfig config = serverConfig(socket);
        socket.bind(new InetSocketAddress(NetUtil.LOCALHOST4, 0));
        socket.listen(config.getBacklog());

        assertEquals(0, tcp(socket, Native.TCP_FASTOPEN));
        assertTrue(config.setOption(ChannelOption.TCP_FASTOPEN, 9));
        assertEquals(9, config.getTcpFastopen());
        assertEquals(9, tcp(socket, Native.TCP_FASTOPEN), "applied to a listening fd");
        config.setTcpFastopen(0);
        assertEquals(0, config.getTcpFastopen());
        assertEquals(0, tcp(socket, Native.TCP_FASTOPEN), "switched off again");
        assertThrows(IllegalArgumentException.class, () -> config.setTcpFastopen(-1));
        assertEquals(7, roundTrip(config, UserpollChannelOption.TCP_DEFER_ACCEPT, 7));
        assertEquals(7, tcp(socket, Native.TCP_DEFER_ACCEPT));
    }

    @Test
    void genericUnixOptionsGoToTheKernelAsIs() {
        Socket socket = newSocket();
        UserpollSocketChannelConfig config = clientConfig(socket);
        IntegerUnixChannelOption keepCnt =
                new IntegerUnixChannelOption("TEST_TCP_KEEPCNT", Native.IPPROTO_TCP, Native.TCP_KEEPCNT);
        assertEquals(6, roundTrip(config, keepCnt, 6));
        assertEquals(6, config.getTcpKeepCnt());

        RawUnixChannelOption keepIdle =
                new RawUnixChannelOption("TEST_TCP_KEEPIDLE", Native.IPPROTO_TCP, Native.TCP_KEEPIDLE, 4);
        ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, 33);
        assertTrue(config.setOption(keepIdle, value));
        assertEquals(33, config.getTcpKeepIdle());
        ByteBuffer read = config.getOption(keepIdle);
        assertEquals(4, read.remaining());
        assertEquals(33, read.order(ByteOrder.nativeOrder()).getInt(0));

        // The same generic options work on the server configuration (the base class serves both).
        UserpollServerSocketChannelConfig server = serverConfig(newSocket());
        assertEquals(5, roundTrip(server, keepCnt, 5));
    }

    @Test
    void optionMapsListNettysOptionsAndOurs() {
        Map<ChannelOption<?>, Object> client = clientConfig(newSocket()).getOptions();
        for (ChannelOption<?> o : List.of(ChannelOption.AUTO_READ, ChannelOption.WRITE_BUFFER_WATER_MARK,
                ChannelOption.CONNECT_TIMEOUT_MILLIS, ChannelOption.TCP_NODELAY, ChannelOption.SO_RCVBUF,
                ChannelOption.SO_SNDBUF, ChannelOption.SO_KEEPALIVE, ChannelOption.SO_REUSEADDR,
                ChannelOption.SO_LINGER, ChannelOption.IP_TOS, ChannelOption.ALLOW_HALF_CLOSURE,
                UserpollChannelOption.SO_REUSEPORT, UserpollChannelOption.TCP_CORK,
                UserpollChannelOption.TCP_NOTSENT_LOWAT, UserpollChannelOption.TCP_KEEPIDLE,
                UserpollChannelOption.TCP_KEEPINTVL, UserpollChannelOption.TCP_KEEPCNT,
                UserpollChannelOption.TCP_USER_TIMEOUT, UserpollChannelOption.TCP_QUICKACK,
                UserpollChannelOption.SO_BUSY_POLL, UserpollChannelOption.TCP_FASTOPEN_CONNECT)) {
            assertTrue(client.containsKey(o), "client options lack " + o);
            assertTrue(client.get(o) != null, "client option without value: " + o);
        }
        assertEquals(Boolean.TRUE, client.get(ChannelOption.TCP_NODELAY));

        Map<ChannelOption<?>, Object> server = serverConfig(newSocket()).getOptions();
        for (ChannelOption<?> o : List.of(ChannelOption.AUTO_READ, ChannelOption.SO_BACKLOG, ChannelOption.SO_RCVBUF,
                ChannelOption.SO_REUSEADDR, UserpollChannelOption.SO_REUSEPORT, UserpollChannelOption.TCP_FASTOPEN,
                UserpollChannelOption.TCP_DEFER_ACCEPT)) {
            assertTrue(server.containsKey(o), "server options lack " + o);
        }
        assertFalse(server.containsKey(ChannelOption.SO_SNDBUF));
        assertFalse(server.containsKey(ChannelOption.IP_TOS));
    }

    @Test
    void unknownOptionsAreRefusedNotThrown() {
        // Netty's epoll option of the same short name is a different constant: our channels do not know it.
        ChannelOption<Boolean> nettyCork = ChannelOption.valueOf("io.netty.channel.epoll.EpollChannelOption#TCP_CORK");
        UserpollSocketChannelConfig client = clientConfig(newSocket());
        assertFalse(client.setOption(nettyCork, true));
        assertNull(client.getOption(nettyCork));
        assertFalse(client.setOption(ChannelOption.IP_MULTICAST_TTL, 3));
        assertNull(client.getOption(ChannelOption.IP_MULTICAST_TTL));
        assertFalse(client.setOption(ChannelOption.SO_BACKLOG, 3));
        assertNull(client.getOption(ChannelOption.SO_BACKLOG));
        // The listener's kernel options share TcpSocketOptions with the stream's, but a stream does not offer them.
        assertFalse(client.setOption(UserpollChannelOption.TCP_DEFER_ACCEPT, 3));
        assertNull(client.getOption(UserpollChannelOption.TCP_DEFER_ACCEPT));
        assertFalse(client.setOption(UserpollChannelOption.TCP_FASTOPEN, 3));
        assertNull(client.getOption(UserpollChannelOption.TCP_FASTOPEN));

        UserpollServerSocketChannelConfig server = serverConfig(newSocket());
        assertFalse(server.setOption(ChannelOption.SO_SNDBUF, 4096));
        assertNull(server.getOption(ChannelOption.SO_SNDBUF));
        assertFalse(server.setOption(UserpollChannelOption.TCP_CORK, true));
        assertNull(server.getOption(UserpollChannelOption.TCP_CORK));
        assertFalse(server.setOption(UserpollChannelOption.TCP_KEEPIDLE, 5));
        assertNull(server.getOption(UserpollChannelOption.TCP_KEEPIDLE));
        assertFalse(server.setOption(ChannelOption.TCP_FASTOPEN_CONNECT, true));
        assertNull(server.getOption(ChannelOption.TCP_FASTOPEN_CONNECT));
    }

    @Test
    void ourOptionNamesDoNotCollideWithNettysNativeTransports() {
        // What Netty's EpollChannelOption / IoUringChannelOption create when they load: valueOf never throws for an
        // existing name, and their class-qualified names differ from ours, so both sets live in one JVM.
        for (String transport : List.of("io.netty.channel.epoll.EpollChannelOption",
                "io.netty.channel.uring.IoUringChannelOption")) {
            for (ChannelOption<?> ours : List.of(UserpollChannelOption.TCP_CORK,
                    UserpollChannelOption.TCP_NOTSENT_LOWAT, UserpollChannelOption.TCP_KEEPIDLE,
                    UserpollChannelOption.TCP_KEEPINTVL, UserpollChannelOption.TCP_KEEPCNT,
                    UserpollChannelOption.TCP_USER_TIMEOUT, UserpollChannelOption.TCP_QUICKACK,
                    UserpollChannelOption.SO_BUSY_POLL, UserpollChannelOption.TCP_DEFER_ACCEPT)) {
                assertTrue(ours.name().startsWith(UserpollChannelOption.class.getName() + '#'), ours.name());
                String shortName = ours.name().substring(ours.name().indexOf('#') + 1);
                ChannelOption<?> theirs = ChannelOption.valueOf(transport + '#' + shortName);
                assertNotSame(ours, theirs);
                assertNotEquals(ours.id(), theirs.id());
            }
        }
        // Options Netty already defines transport-neutrally are shared, not duplicated.
        assertSame(ChannelOption.TCP_FASTOPEN, UserpollChannelOption.TCP_FASTOPEN);
        assertSame(ChannelOption.TCP_FASTOPEN_CONNECT, UserpollChannelOption.TCP_FASTOPEN_CONNECT);
        assertSame(io.netty.channel.unix.UnixChannelOption.SO_REUSEPORT, UserpollChannelOption.SO_REUSEPORT);
    }

    @Test
    void autoReadClearedRunsOnceWhenAutoReadIsSwitchedOff() {
        UserpollSocketChannelConfig config = clientConfig(newSocket());
        config.setAutoRead(true);
        assertEquals(0, autoReadCleared.get());
        config.setAutoRead(false);
        assertEquals(1, autoReadCleared.get());
        config.setOption(ChannelOption.AUTO_READ, false);
        assertEquals(1, autoReadCleared.get(), "already off");
        config.setAutoRead(true);
        assertEquals(1, autoReadCleared.get());

        UserpollServerSocketChannelConfig server = serverConfig(newSocket());
        server.setOption(ChannelOption.AUTO_READ, false);
        assertEquals(2, autoReadCleared.get());
    }

    @Test
    void recvAllocatorMustHaveAnExtendedHandle() {
        UserpollSocketChannelConfig config = clientConfig(newSocket());
        // A working handle seen only through the plain Handle interface.
        RecvByteBufAllocator.Handle real = new FixedRecvByteBufAllocator(64).newHandle();
        RecvByteBufAllocator plain = () -> (RecvByteBufAllocator.Handle) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {RecvByteBufAllocator.Handle.class},
                (proxy, method, args) -> method.invoke(real, args));
        assertThrows(IllegalArgumentException.class, () -> config.setRecvByteBufAllocator(plain));
        DefaultMaxBytesRecvByteBufAllocator maxBytes = new DefaultMaxBytesRecvByteBufAllocator();
        assertSame(config, config.setRecvByteBufAllocator(maxBytes));
        assertSame(maxBytes, config.getRecvByteBufAllocator());
    }

    @Test
    void closedSocketFailsWithChannelException() throws IOException {
        Socket socket = newSocket();
        UserpollSocketChannelConfig config = clientConfig(socket);
        socket.close();
        assertThrows(ChannelException.class, config::getTcpKeepIdle);
        assertThrows(ChannelException.class, () -> config.setTcpNoDelay(false));
        assertThrows(ChannelException.class, () -> config.getOption(ChannelOption.SO_RCVBUF));
        assertTrue(config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true), "user-space options still work");
    }

    @Test
    void everySetterReturnsTheConcreteConfig() {
        for (Class<?> type : List.of(UserpollSocketChannelConfig.class, UserpollServerSocketChannelConfig.class)) {
            int checked = 0;
            for (Method m : type.getMethods()) {
                if (m.isBridge() || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("set")
                        || !ChannelConfig.class.isAssignableFrom(m.getReturnType())) {
                    continue;
                }
                assertSame(type, m.getReturnType(), type.getSimpleName() + '.' + m.getName());
                checked++;
            }
            assertTrue(checked >= 12, type.getSimpleName() + ": only " + checked + " setters");
        }
        // And they chain without casts (a compile-time check as much as a run-time one).
        UserpollSocketChannelConfig config = clientConfig(newSocket());
        UserpollSocketChannelConfig chained = config.setAutoRead(true)
                .setWriteBufferWaterMark(new WriteBufferWaterMark(1024, 2048))
                .setAllocator(ByteBufAllocator.DEFAULT)
                .setConnectTimeoutMillis(1234)
                .setTcpKeepIdle(30)
                .setAllowHalfClosure(true);
        assertSame(config, chained);
        assertEquals(1234, config.getConnectTimeoutMillis());
        assertEquals(2048, config.getWriteBufferHighWaterMark());
    }
}
