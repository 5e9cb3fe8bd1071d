package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollChannelOption;
import dev.userpoll.transport.UserpollDatagramChannel;
import dev.userpoll.transport.UserpollDatagramChannelConfig;
import dev.userpoll.transport.UserpollLoopStatistics;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.channel.unix.Socket;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What our UDP channel has beyond Netty's suite, modelled on Netty's epoll datagram tests, once per ring source:
 * UDP GSO sends ({@link SegmentedDatagramPacket}), {@code UDP_GRO} reads split back into datagrams, scattering reads
 * of many datagrams into one buffer ({@code MAX_DATAGRAM_PAYLOAD_SIZE}, {@code recvmmsg}) fed by one {@code sendmmsg}
 * flush, {@code IP_RECVORIGDSTADDR}, the options, and a channel on an inherited fd. Every byte is checked.
 */
@EveryRingSource
@Timeout(value = 30, unit = TimeUnit.SECONDS)
public class UserpollDatagramFeaturesTest {
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;

    @Parameter
    TestRingSources.Source source;

    private Bootstrap bootstrap() {
        return new Bootstrap().group(UserpollSocketTestPermutation.workerGroup(source))
                .channelFactory(() -> new UserpollDatagramChannel(SocketProtocolFamily.INET));
    }

    private Channel receiver(Bootstrap b, BlockingQueue<DatagramPacket> queue, InetSocketAddress bindTo)
            throws InterruptedException {
        return b.handler(new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                queue.add(msg.retain());
            }
        }).bind(bindTo).sync().channel();
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    private static byte[] payload(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** Takes the next packet, checks its bytes are {@code expected}, and releases it. */
    private static DatagramPacket expect(BlockingQueue<DatagramPacket> queue, byte[] expected, int from, int length)
            throws InterruptedException {
        DatagramPacket p = queue.poll(10, TimeUnit.SECONDS);
        assertNotNull(p, "a datagram of " + length + " bytes");
        try {
            ByteBuf c = p.content();
            assertEquals(length, c.readableBytes(), "datagram length");
            for (int i = 0; i < length; i++) {
                assertEquals(expected[from + i], c.getByte(c.readerIndex() + i), "byte " + i);
            }
            return p;
        } finally {
            p.release();
        }
    }

    private static void assumeKernelOption(int level, int option, String what) {
        Socket probe = Socket.newSocketDgram();
        try {
            probe.setIntOpt(level, option, option == UDP_SEGMENT ? 1000 : 1);
        } catch (IOException e) {
            Assumptions.abort(what + " is not supported by this kernel: " + e.getMessage());
        } finally {
            try {
                probe.close();
            } catch (IOException ignore) {
                // probe only
            }
        }
    }

    @Test
    void segmentedPacketLeavesAsSeparateDatagrams() throws Exception {
        assumeKernelOption(SOL_UDP, UDP_SEGMENT, "UDP GSO (UDP_SEGMENT, Linux 4.18)");
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        Channel rx = receiver(bootstrap(), queue, loopback(0));
        Channel tx = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter()).bind(loopback(0))
                .sync().channel();
        try {
            byte[] data = payload(3500, 7);
            tx.writeAndFlush(new SegmentedDatagramPacket(Unpooled.wrappedBuffer(data), 1000,
                    (InetSocketAddress) rx.localAddress())).sync();
            for (int i = 0; i < 4; i++) {
                DatagramPacket p = expect(queue, data, i * 1000, Math.min(1000, 3500 - i * 1000));
                assertEquals(tx.localAddress(), p.sender());
            }
        } finally {
            tx.close().sync();
            rx.close().sync();
        }
    }

    @Test
    void groReadIsSplitBackIntoItsDatagrams() throws Exception {
        assumeKernelOption(SOL_UDP, UDP_SEGMENT, "UDP GSO (UDP_SEGMENT, Linux 4.18)");
        assumeKernelOption(SOL_UDP, UDP_GRO, "UDP_GRO (Linux 5.0)");
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        Channel rx = receiver(bootstrap().option(UserpollChannelOption.UDP_GRO, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65536)), queue, loopback(0));
        Channel tx = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter()).bind(loopback(0))
                .sync().channel();
        try {
            assertTrue(((UserpollDatagramChannelConfig) rx.config()).isUdpGro());
            byte[] data = payload(10 * 1200 + 300, 3);
            // One GSO send on loopback reaches a GRO socket as one coalesced read (segment size in a control
            // message): the channel must hand it on as the 11 datagrams it carries, in order.
            tx.writeAndFlush(new SegmentedDatagramPacket(Unpooled.wrappedBuffer(data), 1200,
                    (InetSocketAddress) rx.localAddress())).sync();
            for (int i = 0; i < 11; i++) {
                expect(queue, data, i * 1200, Math.min(1200, data.length - i * 1200));
            }
            assertTrue(queue.isEmpty(), "nothing more");
        } finally {
            tx.close().sync();
            rx.close().sync();
        }
    }

    @Test
    void oneFlushOfManyDatagramsIntoScatteringReads() throws Exception {
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        Channel rx = receiver(bootstrap().option(UserpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 512)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(512 * 16)), queue, loopback(0));
        Channel tx = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter()).bind(loopback(0))
                .sync().channel();
        try {
            int count = 100; // above one sendmmsg (64) and one scattering read (16): several of each
            byte[][] sent = new byte[count][];
            InetSocketAddress to = (InetSocketAddress) rx.localAddress();
            tx.eventLoop().submit(() -> {
                for (int i = 0; i < count; i++) {
                    sent[i] = payload(1 + (i * 37) % 512, i);
                    tx.write(new DatagramPacket(Unpooled.wrappedBuffer(sent[i]), to));
                }
                tx.flush();
            }).sync();
            java.net.SocketAddress firstSender = null;
            for (int i = 0; i < count; i++) {
                DatagramPacket p = expect(queue, sent[i], 0, sent[i].length);
                assertEquals(tx.localAddress(), p.sender());
                assertEquals(rx.localAddress(), p.recipient());
                if (firstSender == null) {
                    firstSender = p.sender();
                } else {
                    assertSame(firstSender, p.sender(), "one peer, one address object (no allocation per datagram)");
                }
            }
        } finally {
            tx.close().sync();
            rx.close().sync();
        }
    }

    @Test
    void recipientIsTheOriginalDestination() throws Exception {
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        Channel rx = receiver(bootstrap().option(UserpollChannelOption.IP_RECVORIGDSTADDR, true), queue,
                new InetSocketAddress(0));
        Channel tx = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter()).bind(loopback(0))
                .sync().channel();
        try {
            int port = ((InetSocketAddress) rx.localAddress()).getPort();
            assertTrue(((InetSocketAddress) rx.localAddress()).getAddress().isAnyLocalAddress());
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName("127.0.0.3"), port);
            byte[] data = payload(100, 1);
            tx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(data), to)).sync();
            DatagramPacket p = expect(queue, data, 0, data.length);
            assertEquals(to, p.recipient(), "the address the datagram was sent to, not the wildcard");
        } finally {
            tx.close().sync();
            rx.close().sync();
        }
    }

    @Test
    void aRefusedDatagramFailsAloneAndTheChannelGoesOn() throws Exception {
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        Channel rx = receiver(bootstrap(), queue, loopback(0));
        Channel tx = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter()).bind(loopback(0))
                .sync().channel();
        try {
            InetSocketAddress to = (InetSocketAddress) rx.localAddress();
            // Larger than any UDP datagram (EMSGSIZE), and an IPv6 recipient on an IPv4 socket: each write fails
            // on its own, in one flush with good ones around them (one sendmmsg stops at each bad one).
            byte[] good = payload(200, 5);
            io.netty.channel.ChannelFuture first = tx.write(new DatagramPacket(Unpooled.wrappedBuffer(good), to));
            io.netty.channel.ChannelFuture huge = tx.write(new DatagramPacket(Unpooled.wrappedBuffer(
                    new byte[70_000]), to));
            io.netty.channel.ChannelFuture v6 = tx.write(new DatagramPacket(Unpooled.wrappedBuffer(good),
                    new InetSocketAddress(InetAddress.getByName("::1"), to.getPort())));
            io.netty.channel.ChannelFuture last = tx.writeAndFlush(
                    new DatagramPacket(Unpooled.wrappedBuffer(good), to));
            assertTrue(first.await(10, TimeUnit.SECONDS) && first.isSuccess(), "the first datagram");
            assertTrue(huge.await(10, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, huge.cause(), "EMSGSIZE");
            assertTrue(v6.await(10, TimeUnit.SECONDS));
            assertNotNull(v6.cause(), "an IPv6 recipient on an IPv4 socket");
            assertTrue(last.await(10, TimeUnit.SECONDS) && last.isSuccess(), "the datagram after them");
            expect(queue, good, 0, good.length);
            expect(queue, good, 0, good.length);
            assertTrue(tx.isOpen() && tx.isActive());
        } finally {
            tx.close().sync();
            rx.close().sync();
        }
    }

    @Test
    void theBatchedSubmitterCarriesTheDatagrams() throws Exception {
        Channel rx = bootstrap().handler(new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                ctx.writeAndFlush(new DatagramPacket(msg.content().retain(), msg.sender())); // echo
            }
        }).bind(loopback(0)).sync().channel();
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        Channel tx = receiver(bootstrap(), queue, loopback(0));
        UserpollLoopStatistics before = UserpollLoopStatistics.of(UserpollSocketTestPermutation.workerGroup(source));
        try {
            int rounds = 50;
            for (int i = 0; i < rounds; i++) {
                byte[] data = payload(100 + i, i);
                tx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(data),
                        (InetSocketAddress) rx.localAddress())).sync();
                DatagramPacket echo = expect(queue, data, 0, data.length);
                assertEquals(rx.localAddress(), echo.sender());
            }
            UserpollLoopStatistics d = UserpollLoopStatistics.of(UserpollSocketTestPermutation.workerGroup(source))
                    .minus(before);
            if (source.submitter() == dev.userpoll.transport.IoSubmitter.BATCHED) {
                // Each round: the echo's receive and its reply (written while answering a completion), and the
                // sender's receive of the echo, each an IORING_OP_RECVMSG/SENDMSG in a loop's batch.
                assertTrue(d.batchedOperations() >= 2L * rounds, "batched operations: " + d);
            } else {
                assertEquals(0, d.batchedOperations(), "the direct submitter queues nothing: " + d);
            }
        } finally {
            tx.close().sync();
            rx.close().sync();
        }
    }

    @Test
    void optionsReachTheSocket() throws Exception {
        Channel ch = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter())
                .option(ChannelOption.SO_BROADCAST, true)
                .option(ChannelOption.IP_MULTICAST_TTL, 7)
                .option(ChannelOption.IP_MULTICAST_LOOP_DISABLED, true)
                .option(UserpollChannelOption.SO_REUSEPORT, true)
                .option(UserpollChannelOption.IP_FREEBIND, true)
                .option(ChannelOption.SO_RCVBUF, 256 * 1024)
                .bind(loopback(0)).sync().channel();
        try {
            UserpollDatagramChannelConfig c = (UserpollDatagramChannelConfig) ch.config();
            assertTrue(c.isBroadcast());
            assertEquals(7, c.getTimeToLive());
            assertTrue(c.isLoopbackModeDisabled());
            assertTrue(c.isReusePort());
            assertTrue(c.isIpFreeBind());
            assertTrue(c.getReceiveBufferSize() >= 256 * 1024);
            c.setLoopbackModeDisabled(false);
            assertFalse(c.isLoopbackModeDisabled());
            assertEquals(Boolean.TRUE, c.getOption(ChannelOption.SO_BROADCAST));
            assertEquals(0, c.getMaxDatagramPayloadSize());
            assertThrows(IllegalArgumentException.class, () -> c.setMaxDatagramPayloadSize(-1));
        } finally {
            ch.close().sync();
        }
    }

    @Test
    void channelOnAnInheritedSocket() throws Exception {
        Socket socket = Socket.newSocketDgram();
        socket.bind(loopback(0));
        InetSocketAddress bound = socket.localAddress();
        UserpollDatagramChannel inherited = new UserpollDatagramChannel(socket.intValue());
        BlockingQueue<DatagramPacket> queue = new LinkedBlockingQueue<>();
        inherited.pipeline().addLast(new SimpleChannelInboundHandler<DatagramPacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket msg) {
                queue.add(msg.retain());
            }
        });
        UserpollSocketTestPermutation.workerGroup(source).register(inherited).sync();
        Channel tx = bootstrap().handler(new io.netty.channel.ChannelInboundHandlerAdapter()).bind(loopback(0))
                .sync().channel();
        try {
            assertTrue(inherited.isActive(), "an inherited bound socket is active at once");
            assertEquals(bound, inherited.localAddress());
            byte[] data = payload(64, 9);
            tx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(data), bound)).sync();
            expect(queue, data, 0, data.length);
        } finally {
            tx.close().sync();
            inherited.close().sync();
        }
        assertThrows(ChannelException.class, () -> new UserpollDatagramChannel(Integer.MAX_VALUE - 1));
    }
}
