package dev.userpoll.examples.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * {@code GET /} answers {@code Hello, World!}; {@code POST}/{@code PUT /echo} answer with the request's
 * body and content type; {@code GET /stats} answers the serving event-loop group's userpoll loop statistics as
 * JSON ({@link LoopStatisticsJson}; 404 on another transport); other paths 404, other methods 405. A request the decoder rejected gets
 * 400 (414 for a long request line, 431 for long headers) and the connection is closed. Responses
 * are written in request order and flushed once per read batch, so pipelined requests cost one
 * write system call per batch; {@code Connection: close} (and HTTP/1.0 without keep-alive) closes
 * after the response, and requests pipelined behind it are dropped.
 */
final class HttpEchoHandler extends ChannelInboundHandlerAdapter {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(HttpEchoHandler.class);
    private static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    /** Set once a response that ends the connection is written. */
    private boolean closing;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest) || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        try {
            DecoderResult result = request.decoderResult();
            if (!result.isSuccess()) {
                rejectAndClose(ctx, result.cause());
                return;
            }
            FullHttpResponse response = respond(ctx, request);
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setContentLength(response, response.content().readableBytes());
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                closing = true;
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else {
                if (request.protocolVersion() == HttpVersion.HTTP_1_0) {
                    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                }
                ctx.write(response, ctx.voidPromise());
            }
        } finally {
            request.release();
        }
    }

    private static FullHttpResponse respond(ChannelHandlerContext ctx, FullHttpRequest request) {
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        HttpMethod method = request.method();
        switch (path) {
            case "/":
                if (HttpMethod.GET.equals(method)) {
                    return text(HttpResponseStatus.OK, Unpooled.wrappedBuffer(HELLO));
                }
                return notAllowed("GET");
            case "/echo":
                if (HttpMethod.POST.equals(method) || HttpMethod.PUT.equals(method)) {
                    // The request's buffer goes straight back out: no copy.
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            request.content().retain());
                    String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
                    if (type != null) {
                        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
                    }
                    return r;
                }
                return notAllowed("POST, PUT");
            case "/stats":
                if (!HttpMethod.GET.equals(method)) {
                    return notAllowed("GET");
                }
                EventLoop loop = ctx.channel().eventLoop();
                String json = LoopStatisticsJson.of(loop.parent() != null ? loop.parent() : loop);
                if (json == null) {
                    return text(HttpResponseStatus.NOT_FOUND, message("No loop statistics: not a userpoll transport"));
                }
                FullHttpResponse stats = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        Unpooled.copiedBuffer(json + "\n", StandardCharsets.US_ASCII));
                stats.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
                return stats;
            default:
                return text(HttpResponseStatus.NOT_FOUND, message("Not Found"));
        }
    }

    private static FullHttpResponse notAllowed(String allow) {
        FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, message("Method Not Allowed"));
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        return r;
    }

    private void rejectAndClose(ChannelHandlerContext ctx, Throwable cause) {
        HttpResponseStatus status;
        if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        } else {
            status = HttpResponseStatus.BAD_REQUEST;
        }
        logger.debug("{}: rejected a request ({}): {}", ctx.channel(), status, cause);
        FullHttpResponse response = text(status, message(status.reasonPhrase()));
        HttpUtil.setContentLength(response, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        closing = true;
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static ByteBuf message(String text) {
        return Unpooled.copiedBuffer(text + "\n", StandardCharsets.US_ASCII);
    }

    private static FullHttpResponse text(HttpResponseStatus status, ByteBuf body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        return r;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        logger.debug("{}: closing after an exception", ctx.channel(), cause);
        ctx.close();
    }
}
