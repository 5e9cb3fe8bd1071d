package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;

import java.io.IOException;

/** TEMPORARY minimal config; replaced by the full one. */
public final class UserpollSocketChannelConfig extends DefaultChannelConfig implements SocketChannelConfig {
    private final Socket socket;
    private final Runnable autoReadCleared;
    private volatile boolean allowHalfClosure;

    UserpollSocketChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel);
        this.socket = socket;
        this.autoReadCleared = autoReadCleared;
        try { socket.setTcpNoDelay(true); } catch (IOException ignore) { }
    }

    @Override protected void autoReadCleared() { autoReadCleared.run(); }
    public boolean isTcpFastOpenConnect() { return false; }
    @Override public boolean isTcpNoDelay() { try { return socket.isTcpNoDelay(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setTcpNoDelay(boolean b) { try { socket.setTcpNoDelay(b); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public int getSoLinger() { try { return socket.getSoLinger(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setSoLinger(int i) { try { socket.setSoLinger(i); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public int getSendBufferSize() { try { return socket.getSendBufferSize(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setSendBufferSize(int i) { try { socket.setSendBufferSize(i); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public int getReceiveBufferSize() { try { return socket.getReceiveBufferSize(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setReceiveBufferSize(int i) { try { socket.setReceiveBufferSize(i); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public boolean isKeepAlive() { try { return socket.isKeepAlive(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setKeepAlive(boolean b) { try { socket.setKeepAlive(b); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public int getTrafficClass() { try { return socket.getTrafficClass(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setTrafficClass(int i) { try { socket.setTrafficClass(i); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public boolean isReuseAddress() { try { return socket.isReuseAddress(); } catch (IOException e) { throw new ChannelException(e); } }
    @Override public SocketChannelConfig setReuseAddress(boolean b) { try { socket.setReuseAddress(b); } catch (IOException e) { throw new ChannelException(e); } return this; }
    @Override public SocketChannelConfig setPerformancePreferences(int a, int b, int c) { return this; }
    @Override public boolean isAllowHalfClosure() { return allowHalfClosure; }
    @Override public SocketChannelConfig setAllowHalfClosure(boolean b) { allowHalfClosure = b; return this; }
    @Override public SocketChannelConfig setConnectTimeoutMillis(int i) { super.setConnectTimeoutMillis(i); return this; }
    @Override @Deprecated public SocketChannelConfig setMaxMessagesPerRead(int i) { super.setMaxMessagesPerRead(i); return this; }
    @Override public SocketChannelConfig setWriteSpinCount(int i) { super.setWriteSpinCount(i); return this; }
    @Override public SocketChannelConfig setAllocator(ByteBufAllocator a) { super.setAllocator(a); return this; }
    @Override public SocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator a) { super.setRecvByteBufAllocator(a); return this; }
    @Override public SocketChannelConfig setAutoRead(boolean b) { super.setAutoRead(b); return this; }
    @Override public SocketChannelConfig setAutoClose(boolean b) { super.setAutoClose(b); return this; }
    @Override public SocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator e) { super.setMessageSizeEstimator(e); return this; }
    @Override public SocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark w) { super.setWriteBufferWaterMark(w); return this; }
    @Override public SocketChannelConfig setWriteBufferHighWaterMark(int i) { super.setWriteBufferHighWaterMark(i); return this; }
    @Override public SocketChannelConfig setWriteBufferLowWaterMark(int i) { super.setWriteBufferLowWaterMark(i); return this; }
    private volatile long maxBytesPerGatheringWrite = io.netty.channel.unix.Limits.SSIZE_MAX;
    long getMaxBytesPerGatheringWrite() { return maxBytesPerGatheringWrite; }
    void setMaxBytesPerGatheringWrite(long max) { maxBytesPerGatheringWrite = max; }
}
