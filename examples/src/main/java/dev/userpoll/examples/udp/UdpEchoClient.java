package dev.userpoll.examples.udp;

import dev.userpoll.examples.Options;
import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.BitSet;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The UDP echo client: sends numbered datagrams with a known payload to {@code udp-echo-server}, keeping at most
 * {@code --window} of them unanswered, checks every byte of every echo, and prints one summary line: datagrams
 * sent, received, lost, mismatched and duplicated, the time taken and the rate. UDP may drop datagrams: when no
 * echo comes for {@value #STALL_MILLIS} ms the outstanding ones are given up (a late echo still counts as
 * received) and sending goes on. Datagrams over 2048 bytes need the server's {@code --max-datagram}. Exit status 1 on any mismatch or a loss above {@code --max-loss} percent.
 */
public final class UdpEchoClient {
    public static final String OPTIONS = "[--host H (127.0.0.1)] [--port P (9090)] [--datagrams N (200000)] "
            + "[--size BYTES (64)] [--window W (128)] [--max-loss PERCENT (1)] [--timeout SECONDS (60)] "
            + "[--transport LIST]";
    private static final int HEADER = Long.BYTES;
    private static final long STALL_MILLIS = 100;

    private UdpEchoClient() {
    }

    public static int run(Options options) throws InterruptedException {
        String host = options.string("host", "127.0.0.1");
        int port = options.integer("port", 9090, 1, 65535);
        int datagrams = options.integer("datagrams", 200_000, 1, Integer.MAX_VALUE - 1);
        int size = options.integer("size", 64, HEADER, 65_507);
        int window = options.integer("window", 128, 1, 1 << 20);
        double maxLoss = Double.parseDouble(options.string("max-loss", "1"));
        int timeout = options.integer("timeout", 60, 1, 86_400);
        String transportList = options.string("transport", null);
        options.checkAllRead();

        SelectedTransport transport = TransportSelector.select(transportList);
        if (transport.datagramChannelClass() == null) {
            throw new IllegalStateException(transport.name() + " has no UDP channel");
        }
        EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("udp-echo-client-loop", false), transport.ioHandlerFactory());
        try {
            InetSocketAddress server = new InetSocketAddress(host, port);
            Exchange exchange = new Exchange(server, datagrams, size, window, group.next().newPromise());
            Channel channel = new Bootstrap().group(group)
                    .channelFactory(transport.datagramChannelFactory())
                    .option(ChannelOption.SO_RCVBUF, 4 << 20)
                    .option(ChannelOption.SO_SNDBUF, 4 << 20)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(size))
                    .handler(exchange)
                    .bind(new InetSocketAddress(server.getAddress(), 0)).sync().channel();
            channel.eventLoop().execute(exchange::start);
            if (!exchange.done.await(timeout, TimeUnit.SECONDS)) {
                channel.eventLoop().execute(exchange::finish);
                exchange.done.await(5, TimeUnit.SECONDS);
            }
            channel.close().sync();
            return exchange.report(transport, maxLoss);
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }

    /** All state lives on the client's one event loop. */
    private static final class Exchange extends SimpleChannelInboundHandler<DatagramPacket> {
        private final InetSocketAddress server;
        private final int datagrams;
        private final int size;
        private final int window;
        final Promise<Void> done;
        private final BitSet received;
        private ChannelHandlerContext ctx;
        private ScheduledFuture<?> stallCheck;
        private int sent;
        private int receivedCount;
        private int abandoned;
        private long mismatches;
        private long duplicates;
        private long startNanos;
        private long endNanos;
        private long lastEchoNanos;

        Exchange(InetSocketAddress server, int datagrams, int size, int window, Promise<Void> done) {
            this.server = server;
            this.datagrams = datagrams;
            this.size = size;
            this.window = window;
            this.done = done;
            this.received = new BitSet(datagrams);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        void start() {
            startNanos = lastEchoNanos = System.nanoTime();
            stallCheck = ctx.executor().scheduleAtFixedRate(this::checkStall, STALL_MILLIS, STALL_MILLIS / 2,
                    TimeUnit.MILLISECONDS);
            refill();
        }

        private void refill() {
            boolean wrote = false;
            while (sent < datagrams && sent - receivedCount - abandoned < window) {
                ByteBuf payload = ctx.alloc().directBuffer(size);
                fill(payload, sent, size);
                ctx.write(new DatagramPacket(payload, server), ctx.voidPromise());
                sent++;
                wrote = true;
            }
            if (wrote) {
                ctx.flush();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf content = packet.content();
            lastEchoNanos = System.nanoTime();
            if (content.readableBytes() != size) {
                mismatches++;
                return;
            }
            long seq = content.getLong(content.readerIndex());
            if (seq < 0 || seq >= sent || !matches(content, seq, size)) {
                mismatches++;
            } else if (received.get((int) seq)) {
                duplicates++;
            } else {
                received.set((int) seq);
                receivedCount++;
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (receivedCount == datagrams) {
                finish();
            } else {
                refill();
            }
        }

        /** No echo for a while: the outstanding datagrams are taken as lost, and sending goes on. */
        private void checkStall() {
            if (System.nanoTime() - lastEchoNanos < TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
                return;
            }
            if (sent == datagrams) {
                finish();
                return;
            }
            abandoned = sent - receivedCount;
            lastEchoNanos = System.nanoTime();
            refill();
        }

        void finish() {
            if (done.isDone()) {
                return;
            }
            endNanos = System.nanoTime();
            if (stallCheck != null) {
                stallCheck.cancel(false);
            }
            done.trySuccess(null);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("udp-echo-client: " + cause);
        }

        int report(SelectedTransport transport, double maxLoss) {
            long lost = (long) datagrams - receivedCount;
            double lossPercent = 100.0 * lost / datagrams;
            // The stall wait at the end is not part of the exchange's time.
            long end = endNanos != 0 ? Math.min(endNanos, lastEchoNanos) : System.nanoTime();
            double seconds = Math.max(1e-9, (end - startNanos) / 1e9);
            System.out.printf(Locale.ROOT, "udp-echo-client sent=%d received=%d lost=%d (%.3f%%) mismatches=%d "
                            + "duplicates=%d size=%d window=%d seconds=%.3f rate=%.0f/s transport=%s%n",
                    sent, receivedCount, lost, lossPercent, mismatches, duplicates, size, window, seconds,
                    receivedCount / seconds, transport.name());
            return mismatches == 0 && lossPercent <= maxLoss ? 0 : 1;
        }
    }

    /** The payload of datagram {@code seq}: its number, then bytes that depend on the number and position. */
    static void fill(ByteBuf buf, long seq, int size) {
        buf.writeLong(seq);
        for (int i = HEADER; i < size; i++) {
            buf.writeByte(patternByte(seq, i));
        }
    }

    static boolean matches(ByteBuf buf, long seq, int size) {
        int base = buf.readerIndex();
        for (int i = HEADER; i < size; i++) {
            if (buf.getByte(base + i) != patternByte(seq, i)) {
                return false;
            }
        }
        return true;
    }

    private static byte patternByte(long seq, int i) {
        return (byte) (seq * 31 + i * 7);
    }
}
