package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A channel whose fd the ring source refuses (a full userpoll item table answers ENOSPC) must not linger:
 * its registration fails, the channel closes, its fd and its loop slot are freed, and the server goes on.
 */
class UserpollRegistrationFailureTest {
    @ParameterizedTest
    @EnumSource(value = RingSourceKind.class, names = {"EPOLL", "IO_URING"})
    void aRefusedRegistrationClosesTheChannelAndFreesItsFdAndSlot(RingSourceKind kind) throws Exception {
        TestRingSources.assumeAvailable(kind);
        List<IoHandler> handlers = new CopyOnWriteArrayList<>();
        UserpollIoHandlerConfig direct = new UserpollIoHandlerConfig().setIoSubmitter(IoSubmitter.DIRECT);
        AtomicInteger registered = new AtomicInteger();
        AtomicInteger refusedFd = new AtomicInteger(-1);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, executor -> {
            IoHandler h = UserpollIoHandler.newFactory(direct, () -> new CountingRingSource(kind.open(256)) {
                @Override
                public void register(int fd, int events, long token) throws IOException {
                    // Once only: the refused channel's fd number is free again and the next accept may reuse it.
                    if (refusedFd.compareAndSet(fd, -1)) {
                        throw new IOException("register fd " + fd + ": No space left on device (refused by the test)");
                    }
                    registered.incrementAndGet();
                    super.register(fd, events, token);
                }
            }).newHandler(executor);
            handlers.add(h);
            return h;
        });
        List<Channel> accepted = new CopyOnWriteArrayList<>();
        try {
            Channel listener = EchoHarness.startEchoServer(group, sb -> sb.handler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object child) {
                    // Seen before the acceptor registers the child: the second connection's fd is the one refused.
                    accepted.add((Channel) child);
                    if (accepted.size() == 2) {
                        refusedFd.set(((UserpollSocketChannel) child).fd().intValue());
                    }
                    ctx.fireChannelRead(child);
                }
            }));
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();
            try (Socket first = connect(address); Socket refused = connect(address); Socket third = connect(address)) {
                assertEchoes(first);
                awaitAccepted(accepted, 2);
                Channel refusedChannel = accepted.get(1);
                assertTrue(refusedChannel.closeFuture().await(5, TimeUnit.SECONDS), "refused channel still open");
                assertFalse(refusedChannel.isOpen());
                assertPeerSeesTheEnd(refused);
                assertEchoes(third);
                assertEquals(3, registered.get(), "accepted registrations: the listener, the first and the third");
                UserpollIoHandler handler = (UserpollIoHandler) handlers.get(0);
                assertEquals(3, (int) group.next().submit(handler::registrationCount).get(5, TimeUnit.SECONDS),
                        "loop slots: the listener and the two live connections, none for the refused one");
            }
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.connect(address, 5000);
        s.setSoTimeout(5000);
        return s;
    }

    private static void assertEchoes(Socket s) throws IOException {
        byte[] data = EchoHarness.payload(s.getLocalPort(), 64);
        OutputStream out = s.getOutputStream();
        out.write(data);
        out.flush();
        byte[] back = new byte[data.length];
        InputStream in = s.getInputStream();
        for (int n = 0; n < back.length; ) {
            int r = in.read(back, n, back.length - n);
            if (r < 0) {
                fail("connection closed after " + n + " echoed bytes");
            }
            n += r;
        }
        assertArrayEquals(data, back);
    }

    /** The server's fd is closed: the peer reads EOF, or a reset when its bytes arrived after the close. */
    private static void assertPeerSeesTheEnd(Socket s) throws IOException {
        s.getOutputStream().write(1);
        try {
            assertEquals(-1, s.getInputStream().read(), "the refused connection answered");
        } catch (SocketTimeoutException e) {
            fail("the refused connection's fd is still open: no EOF or reset within 5 s");
        } catch (SocketException e) {
            assertTrue(String.valueOf(e.getMessage()).contains("reset"), e.toString());
        }
    }

    private static void awaitAccepted(List<Channel> accepted, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (accepted.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(accepted.size() >= n, "accepted " + accepted.size() + " of " + n);
    }
}
