package dev.userpoll.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.util.NetUtil;

import java.io.IOException;

/** TEMPORARY minimal config; replaced by the full one. */
public final class UserpollServerSocketChannelConfig extends DefaultChannelConfig implements ServerSocketChannelConfig {
    private final Socket socket;
    private final Runnable autoReadCleared;
    private volatile int backlog = NetUtil.SOMAXCONN;

    UserpollServerSocketChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel);
        this.socket = socket;
        this.autoReadCleared = autoReadCleared;
        try { socket.setReuseAddress(true); } catch (IOException ignore) { }
    }

    @Override protected void autoReadCleared() { autoReadCleared.run(); }
    @Override public int getBacklog() { return backlog; }
    @Override public ServerSocketChannelConfig setBacklog(int b) { backlog = b; return this; }
    @Override public boolean isReuseAddress() { try { return socket.isReuseAddress(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public ServerSocketChannelConfig setReuseAddress(boolean b) { try { socket.setReuseAddress(b); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public int getReceiveBufferSize() { try { return socket.getReceiveBufferSize(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public ServerSocketChannelConfig setReceiveBufferSize(int i) { try { socket.setReceiveBufferSize(i); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public ServerSocketChannelConfig setPerformancePreferences(int a, int b, int c) { return this; }
    @Override public ServerSocketChannelConfig setConnectTimeoutMillis(int i) { super.setConnectTimeoutMillis(i); return this; }
    @Override @Deprecated public ServerSocketChannelConfig setMaxMessagesPerRead(int i) { super.setMaxMessagesPerRead(i); return this; }
    @Override public ServerSocketChannelConfig setWriteSpinCount(int i) { super.setWriteSpinCount(i); return this; }
    @Override public ServerSocketChannelConfig setAllocator(ByteBufAllocator a) { super.setAllocator(a); return this; }
    @Override public ServerSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator a) { super.setRecvByteBufAllocator(a); return this; }
    @Override public ServerSocketChannelConfig setAutoRead(boolean b) { super.setAutoRead(b); return this; }
    @Override public ServerSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator e) { super.setMessageSizeEstimator(e); return this; }
    @Override public ServerSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark w) { super.setWriteBufferWaterMark(w); return this; }
    @Override public ServerSocketChannelConfig setWriteBufferHighWaterMark(int i) { super.setWriteBufferHighWaterMark(i); return this; }
    @Override public ServerSocketChannelConfig setWriteBufferLowWaterMark(int i) { super.setWriteBufferLowWaterMark(i); return this; }
}
