package dev.userpoll.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive connection of the echo client: keeps up to {@code pipeline} requests in flight and
 * checks each response against the request it answers (HTTP/1.1 answers in order).
 */
final class EchoConnection extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final EchoStats stats;
    private final String hostHeader;
    private final int firstId;
    private final int count;
    private final int size;
    private final int pipeline;
    private final CountDownLatch done = new CountDownLatch(1);
    /** Send times of the requests in flight, oldest first; their ids follow {@link #nextToCheck}. */
    private final ArrayDeque<Long> inFlight = new ArrayDeque<>();
    private int nextToSend;
    private int nextToCheck;
    private volatile Channel channel;

    EchoConnection(EchoStats stats, String host, int port, int firstId, int count, int size, int pipeline) {
        this.stats = stats;
        this.hostHeader = host + ':' + port;
        this.firstId = firstId;
        this.count = count;
        this.size = size;
        this.pipeline = pipeline;
        if (count == 0) {
            done.countDown();
        }
    }

    /** The byte at {@code index} of request {@code id}'s body: differs between requests, so a swap shows. */
    static byte bodyByte(int id, int index) {
        long x = (index + 1) * 0x9E3779B97F4A7C15L ^ (id + 1) * 0xC2B2AE3D27D4EB4FL;
        return (byte) (x >>> 56 ^ x >>> 29);
    }

    static String contentType(int id) {
        return "application/x-echo; id=" + id;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        sendMore(ctx);
    }

    private void sendMore(ChannelHandlerContext ctx) {
        boolean wrote = false;
        while (nextToSend < count && inFlight.size() < pipeline) {
            int id = firstId + nextToSend++;
            byte[] body = new byte[size];
            for (int i = 0; i < size; i++) {
                body[i] = bodyByte(id, i);
            }
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/echo",
                    Unpooled.wrappedBuffer(body));
            request.headers().set(HttpHeaderNames.HOST, hostHeader)
                    .set(HttpHeaderNames.CONTENT_TYPE, contentType(id));
            HttpUtil.setContentLength(request, size);
            inFlight.add(System.nanoTime());
            ctx.write(request).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
        Long sent = inFlight.poll();
        if (sent == null) {
            stats.error(ctx.channel() + ": a response nobody asked for: " + response.status());
            ctx.close();
            return;
        }
        long latency = System.nanoTime() - sent;
        int id = firstId + nextToCheck++;
        if (check(id, response)) {
            stats.success(id, latency);
        }
        if (nextToCheck == count) {
            done.countDown();
            ctx.close();
        } else {
            sendMore(ctx);
        }
    }

    private boolean check(int id, FullHttpResponse response) {
        if (!response.decoderResult().isSuccess()) {
            stats.error("request " + id + ": undecodable response: " + response.decoderResult().cause());
            return false;
        }
        if (!HttpResponseStatus.OK.equals(response.status())) {
            stats.error("request " + id + ": status " + response.status());
            return false;
        }
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (!contentType(id).equals(type)) {
            stats.mismatch("request " + id + ": content type '" + type + "', expected '" + contentType(id) + "'");
            return false;
        }
        ByteBuf body = response.content();
        if (body.readableBytes() != size) {
            stats.mismatch("request " + id + ": echoed " + body.readableBytes() + " bytes, sent " + size);
            return false;
        }
        // One bulk copy, then plain array reads: per-byte getByte on a (leak-tracked, composite) buffer is slow.
        byte[] echoed = new byte[size];
        body.getBytes(body.readerIndex(), echoed);
        for (int i = 0; i < size; i++) {
            if (echoed[i] != bodyByte(id, i)) {
                stats.mismatch("request " + id + ": echoed body differs at byte " + i);
                return false;
            }
        }
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (nextToCheck < count) {
            stats.error(ctx.channel() + ": closed with " + (count - nextToCheck) + " requests unanswered");
        }
        done.countDown();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stats.error(ctx.channel() + ": " + cause);
        ctx.close();
    }

    void connectFailed(Throwable cause) {
        stats.error("connect to " + hostHeader + " failed: " + cause);
        done.countDown();
    }

    boolean awaitDone(long nanos) throws InterruptedException {
        return done.await(nanos, TimeUnit.NANOSECONDS);
    }

    void close() {
        Channel ch = channel;
        if (ch != null) {
            ch.close().syncUninterruptibly();
        }
    }
}
