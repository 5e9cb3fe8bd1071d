package dev.userpoll.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DuplexChannelConfig;
import io.netty.channel.unix.Socket;

import static io.netty.channel.unix.Limits.SSIZE_MAX;

/**
 * What every userpoll stream channel's configuration shares, TCP or Unix-domain: half-closure (kept in user space)
 * and the bound of one gathering write, which the channel's write loop adapts to what the kernel takes.
 */
public abstract class UserpollStreamChannelConfig extends UserpollChannelConfig implements DuplexChannelConfig {
    /** Below this many bytes offered, a short write does not shrink the bound (Netty's ChannelUtils threshold). */
    private static final int MAX_BYTES_PER_GATHERING_WRITE_ATTEMPTED_LOW_THRESHOLD = 4096;

    private volatile boolean allowHalfClosure;
    /** 0 until read from {@code SO_SNDBUF} by the first write that needs it. */
    private volatile long maxBytesPerGatheringWrite;

    /**
     * Writes of at most this many bytes need no bound: below the smallest send buffer the kernel allows (twice
     * {@code SOCK_MIN_SNDBUF}), so twice {@code SO_SNDBUF} cannot cut them.
     */
    static final int UNBOUNDED_WRITE_BYTES = 4096;

    UserpollStreamChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel, socket, autoReadCleared);
    }

    /** {@code SO_SNDBUF}: the gathering-write bound follows it. */
    public abstract int getSendBufferSize();

    /** Whether a read EOF only shuts the input down (the channel stays open for writing). Kept in user space. */
    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public UserpollStreamChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    /**
     * Upper bound of one gathering write: twice {@code SO_SNDBUF} (the kernel may drain faster than we fill); read
     * from the kernel on the first call, not at set-up: a short-lived connection's small replies (at most
     * {@link #UNBOUNDED_WRITE_BYTES}, which need no bound) then save the getsockopt.
     */
    public long getMaxBytesPerGatheringWrite() {
        long max = maxBytesPerGatheringWrite;
        if (max == 0) {
            updateMaxBytesPerGatheringWrite();
            max = maxBytesPerGatheringWrite;
        }
        return max;
    }

    /** Lets the write loop adapt the bound to what the kernel accepted. */
    public void setMaxBytesPerGatheringWrite(long maxBytesPerGatheringWrite) {
        this.maxBytesPerGatheringWrite = maxBytesPerGatheringWrite;
    }

    /**
     * Grows or shrinks the bound towards what the socket took in one call: {@code attempted} bytes offered under
     * the bound {@code oldMax}, {@code written} taken.
     */
    void adaptMaxBytesPerGatheringWrite(long attempted, long written, long oldMax) {
        if (attempted == written) {
            if (attempted << 1 > oldMax) {
                setMaxBytesPerGatheringWrite(attempted << 1);
            }
        } else if (attempted > MAX_BYTES_PER_GATHERING_WRITE_ATTEMPTED_LOW_THRESHOLD && written < attempted >>> 1) {
            setMaxBytesPerGatheringWrite(attempted >>> 1);
        }
    }

    /** After {@code SO_SNDBUF} changed (and on first use): the bound starts at twice the send buffer. */
    final void updateMaxBytesPerGatheringWrite() {
        long twiceSendBuffer = (long) getSendBufferSize() << 1;
        maxBytesPerGatheringWrite = twiceSendBuffer > 0 ? Math.min(twiceSendBuffer, SSIZE_MAX) : SSIZE_MAX;
    }

    // ---- covariant ChannelConfig setters

    @Override
    public UserpollStreamChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UserpollStreamChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public UserpollStreamChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UserpollStreamChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public UserpollStreamChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
