package dev.userpoll.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-loop statistics move as the loop works, on every ring source and submitter. */
class UserpollLoopStatisticsTest {
    private static final int ROUND_TRIPS = 200;
    /** Larger than the server's receive buffer, and read one buffer per pass: every request needs retries. */
    private static final int REQUEST_BYTES = 1024;

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void countsFollowEchoRoundTrips(TestRingSources.Source source) throws Exception {
        EventLoopGroup server = new MultiThreadIoEventLoopGroup(1, source.ioHandlerFactory());
        EventLoopGroup clients = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            EventLoop loop = server.next();
            Channel listener = EchoHarness.startEchoServer(server, sb -> sb
                    .childOption(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(256))
                    .childOption(ChannelOption.MAX_MESSAGES_PER_READ, 1));
            LinkedBlockingQueue<Integer> echoed = new LinkedBlockingQueue<>();
            Channel client = new Bootstrap().group(clients).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            echoed.add(((ByteBuf) msg).readableBytes());
                            ((ByteBuf) msg).release();
                        }
                    }).connect(listener.localAddress()).sync().channel();
            awaitEcho(client, echoed); // accepted, registered, warm

            UserpollLoopStatistics before = UserpollLoopStatistics.of(loop);
            for (int i = 0; i < ROUND_TRIPS; i++) {
                awaitEcho(client, echoed);
            }
            UserpollLoopStatistics d = UserpollLoopStatistics.of(loop).minus(before);
            String all = source + ": " + d;

            assertEquals(1, d.loops(), all);
            // Each request arrives only after the previous reply: at least one pass and, nearly always, one read
            // event and one park each (an edge may come while the channel is still on the ready list).
            assertTrue(d.passes() >= ROUND_TRIPS, all);
            assertTrue(d.readyEvents() >= ROUND_TRIPS / 2, all);
            assertTrue(d.parks() >= ROUND_TRIPS / 2, all);
            assertTrue(d.parkEntries() > 0 && d.parkEntries() <= d.kernelEntries(), all);
            // 1 KiB requests read 256 bytes a pass: the rest waits on the ready list.
            assertTrue(d.readyListRetries() >= ROUND_TRIPS, all);
            if (source.submitter() == IoSubmitter.BATCHED) {
                assertTrue(d.batchSubmits() > 0, all);
                // A recv per 256 bytes read and at least one send per reply went through the batch.
                assertTrue(d.batchedOperations() >= 5L * ROUND_TRIPS, all);
                assertTrue(d.ioCompletions() >= 5L * ROUND_TRIPS, all);
                assertTrue(d.operationsPerBatchSubmit() >= 1, all);
                assertTrue(d.parkingBatchSubmits() <= d.batchSubmits(), all);
            } else {
                assertEquals(0, d.batchSubmits(), all);
                assertEquals(0, d.batchedOperations(), all);
                assertEquals(0, d.submitEntries(), all);
                assertEquals(0, d.ioCompletions(), all);
            }
            // No connection came or went: no registration reached the kernel.
            assertEquals(0, d.registrationEntries(), all);
            assertEquals(d.kernelEntries(), d.parkEntries() + d.submitEntries() + d.wakeupEntries()
                    + d.registrationEntries() + d.pollEntries(), all);

            // A new connection is registered with the kernel, and its close takes it out again (the io_uring
            // source may carry both in one enter at the end of a drain).
            UserpollLoopStatistics beforeConnect = UserpollLoopStatistics.of(loop);
            Channel second = new Bootstrap().group(clients).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).connect(listener.localAddress()).sync().channel();
            second.close().sync();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (UserpollLoopStatistics.of(loop).minus(beforeConnect).registrationEntries() < 1
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(UserpollLoopStatistics.of(loop).minus(beforeConnect).registrationEntries() >= 1,
                    source + ": " + UserpollLoopStatistics.of(loop).minus(beforeConnect));
            client.close().sync();
        } finally {
            clients.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            server.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static void awaitEcho(Channel client, LinkedBlockingQueue<Integer> echoed) throws InterruptedException {
        client.writeAndFlush(Unpooled.wrappedBuffer(new byte[REQUEST_BYTES]));
        int received = 0;
        while (received < REQUEST_BYTES) {
            Integer n = echoed.poll(10, TimeUnit.SECONDS);
            assertNotNull(n, "no echo within 10 s");
            received += n;
        }
    }

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void wakeupsFromOtherThreadsAreCountedAsKernelEntries(TestRingSources.Source source) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, source.ioHandlerFactory());
        try {
            EventLoop loop = group.next();
            loop.submit(() -> { }).sync();
            UserpollLoopStatistics before = UserpollLoopStatistics.of(loop);
            int tasks = 20;
            for (int i = 0; i < tasks; i++) {
                Thread.sleep(2); // long enough for the loop to park again
                loop.submit(() -> { }).sync();
            }
            UserpollLoopStatistics d = UserpollLoopStatistics.of(loop).minus(before);
            String all = source + ": " + d;
            // Most tasks find the loop parked, and each such wakeup is one eventfd write (the one more: the first
            // task's, taken after the snapshot).
            assertTrue(d.wakeups() >= tasks / 2 && d.wakeups() <= tasks + 1, all);
            assertTrue(d.wakeupEntries() >= d.wakeups(), all);
            assertTrue(d.parks() >= tasks / 2, all);
            // A park that ended for a wakeup costs no second look at the source.
            assertTrue(d.pollEntries() <= 1, all);
            assertEquals(0, d.readyEvents(), all);
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aGroupSumsItsLoopsAndAShutDownLoopHasNone() throws Exception {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, UserpollIoHandler.newFactory(
                new UserpollIoHandlerConfig().setRingSource(RingSourceKind.EPOLL)));
        EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoop first;
        try {
            first = group.next();
            EventLoop second = group.next();
            first.submit(() -> { }).sync();
            second.submit(() -> { }).sync();
            UserpollLoopStatistics a = UserpollLoopStatistics.of(first);
            UserpollLoopStatistics b = UserpollLoopStatistics.of(second);
            UserpollLoopStatistics sum = UserpollLoopStatistics.of(group); // later: counts only grow
            assertEquals(2, sum.loops());
            assertTrue(a.passes() > 0 && b.passes() > 0, a + " " + b);
            assertTrue(sum.passes() >= a.passes() + b.passes(), sum + " " + a + " " + b);
            assertTrue(UserpollLoopStatistics.isAvailable(group));
            assertTrue(sum.toString().startsWith("UserpollLoopStatistics(loops=2, passes="), sum.toString());
            assertEquals(sum.passes(), sum.toMap().get("passes"));
            assertFalse(UserpollLoopStatistics.isAvailable(nio));
            assertThrows(IllegalArgumentException.class, () -> UserpollLoopStatistics.of(nio));
        } finally {
            nio.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
        assertFalse(UserpollLoopStatistics.isAvailable(first), "a destroyed loop is forgotten");
        assertThrows(IllegalArgumentException.class, () -> UserpollLoopStatistics.of(first));
    }
}
