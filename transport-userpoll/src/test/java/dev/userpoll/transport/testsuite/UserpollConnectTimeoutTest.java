package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.UserpollSocketChannel;
import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connect timeout and connect cancellation, the two behaviours of Netty's {@code SocketConnectionAttemptTest} whose
 * upstream tests target a non-loopback address, proven against a loopback peer that never answers: a listener whose
 * accept queue is full. Linux drops a SYN for a listener with a full accept queue, so the connecting side keeps
 * retransmitting its SYN and the connect stays pending until it times out or is cancelled.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserpollConnectTimeoutTest {
    private static final int FILLERS_MAX = 16;

    private ServerSocket silentListener;
    private final List<Socket> fillers = new ArrayList<>();

    static List<TestRingSources.Source> sources() {
        return UserpollSocketTestPermutation.sources();
    }

    @BeforeEach
    void fillTheAcceptQueue() throws IOException {
        // Backlog 1 (the JDK turns 0 into 50): the kernel queues one or two connections, then drops SYNs.
        silentListener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        for (int i = 0; i < FILLERS_MAX; i++) {
            Socket s = new Socket();
            fillers.add(s);
            try {
                s.connect(silentListener.getLocalSocketAddress(), 300);
            } catch (SocketTimeoutException e) {
                return; // this SYN went unanswered: the queue is full and the listener is silent
            }
        }
        throw new IllegalStateException("the listener kept accepting " + FILLERS_MAX + " connections; "
                + "cannot build a peer that never answers");
    }

    @AfterEach
    void closePeer() throws IOException {
        for (Socket s : fillers) {
            s.close();
        }
        silentListener.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sources")
    void connectTimeoutFailsTheConnectAndClosesTheChannel(TestRingSources.Source kind) throws Exception {
        Bootstrap cb = client(kind).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 300);
        long start = System.nanoTime();
        ChannelFuture future = cb.connect(silentListener.getLocalSocketAddress());
        try {
            assertTrue(future.await(5, TimeUnit.SECONDS), "connect neither timed out nor completed in 5 s");
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertInstanceOf(ConnectTimeoutException.class, future.cause());
            assertTrue(elapsedMillis >= 250, "timed out after " + elapsedMillis + " ms, before its 300 ms");
            Channel ch = future.channel();
            assertTrue(ch.closeFuture().await(2, TimeUnit.SECONDS), "channel not closed after the timeout");
            assertFalse(ch.isOpen());
            assertFalse(ch.isActive());
        } finally {
            future.channel().close().syncUninterruptibly();
        }
        assertLoopStillConnects(kind);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sources")
    void cancellingAPendingConnectClosesTheChannel(TestRingSources.Source kind) throws Exception {
        Bootstrap cb = client(kind).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
        ChannelFuture future = cb.connect(silentListener.getLocalSocketAddress());
        try {
            assertFalse(future.await(300, TimeUnit.MILLISECONDS),
                    "a connect to a silent peer completed: " + future.cause());
            assertTrue(future.cancel(true), "a pending connect could not be cancelled");
            assertTrue(future.isCancelled());
            Channel ch = future.channel();
            assertTrue(ch.closeFuture().await(2, TimeUnit.SECONDS), "channel not closed after cancellation");
            assertFalse(ch.isOpen());
            assertFalse(ch.isActive());
        } finally {
            future.channel().close().syncUninterruptibly();
        }
        assertLoopStillConnects(kind);
    }

    private static Bootstrap client(TestRingSources.Source kind) {
        return new Bootstrap().group(UserpollSocketTestPermutation.workerGroup(kind))
                .channel(UserpollSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter());
    }

    /** The loop that timed out or cancelled a connect still serves a new one to a listener that answers. */
    private static void assertLoopStillConnects(TestRingSources.Source kind) throws Exception {
        try (ServerSocket live = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Channel ch = client(kind).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
                    .connect(new InetSocketAddress(live.getInetAddress(), live.getLocalPort()))
                    .sync().channel();
            try (Socket accepted = live.accept()) {
                assertTrue(ch.isActive());
                assertTrue(accepted.isConnected());
            } finally {
                ch.close().sync();
            }
        }
    }
}
