package dev.userpoll.examples.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The echo server's pipeline: HTTP/1.1 codec with bounded request line and headers (414/431 when
 * exceeded), an aggregator with a bounded body (413; chunked bodies are aggregated too), then
 * {@link HttpEchoHandler}. Works on any transport's channel.
 */
public final class HttpEchoServerInitializer extends ChannelInitializer<Channel> {
    public static final int MAX_INITIAL_LINE = 4096;
    public static final int MAX_HEADER_SIZE = 8192;
    public static final int DEFAULT_MAX_BODY = 64 << 20;

    private final int maxBody;

    public HttpEchoServerInitializer(int maxBody) {
        this.maxBody = maxBody;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.pipeline().addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(MAX_INITIAL_LINE)
                        .setMaxHeaderSize(MAX_HEADER_SIZE)
                        .setMaxChunkSize(64 * 1024)))
                .addLast("aggregator", new HttpObjectAggregator(maxBody))
                .addLast("echo", new HttpEchoHandler());
    }
}
