package dev.userpoll.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.nio.ByteBuffer;

import static io.netty.util.internal.ObjectUtil.checkNotNull;

/**
 * What every userpoll channel's configuration shares: the socket its options act on, the hook that tells the
 * channel {@code autoRead} was switched off, and the generic {@link IntegerUnixChannelOption} /
 * {@link RawUnixChannelOption} options, which reach the kernel as {@code setsockopt} / {@code getsockopt}
 * with the level and name they carry.
 * <p>Options are read from the kernel each time, never cached, except those that only exist in user space.
 * A kernel error surfaces as a {@link ChannelException} wrapping the {@link IOException}, as in Netty.
 * The read allocator is {@link AdaptiveRecvByteBufAllocator} unless a subclass passes another; its
 * {@code maxMessagesPerRead} comes from the channel's metadata (16 for a {@code ChannelMetadata(false)}).
 */
public abstract class UserpollChannelConfig extends DefaultChannelConfig {
    private final Socket socket;
    private final Runnable autoReadCleared;

    /**
     * @param channel the channel this configures
     * @param socket the channel's socket; options are applied to its fd
     * @param autoReadCleared run when {@code autoRead} goes from {@code true} to {@code false}
     */
    UserpollChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        this(channel, socket, autoReadCleared, new AdaptiveRecvByteBufAllocator());
    }

    UserpollChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared, RecvByteBufAllocator allocator) {
        super(checkNotNull(channel, "channel"), checkNotNull(allocator, "allocator"));
        this.socket = checkNotNull(socket, "socket");
        this.autoReadCleared = checkNotNull(autoReadCleared, "autoReadCleared");
    }

    /** The socket whose options this configuration reads and writes. */
    protected final Socket socket() {
        return socket;
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option instanceof IntegerUnixChannelOption) {
            IntegerUnixChannelOption opt = (IntegerUnixChannelOption) option;
            return (T) Integer.valueOf(getIntOpt(opt.level(), opt.optname()));
        }
        if (option instanceof RawUnixChannelOption) {
            RawUnixChannelOption opt = (RawUnixChannelOption) option;
            ByteBuffer out = ByteBuffer.allocate(opt.length());
            try {
                socket.getRawOpt(opt.level(), opt.optname(), out);
            } catch (IOException e) {
                throw new ChannelException(e);
            }
            return (T) out.flip();
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option instanceof IntegerUnixChannelOption) {
            IntegerUnixChannelOption opt = (IntegerUnixChannelOption) option;
            setIntOpt(opt.level(), opt.optname(), (Integer) value);
            return true;
        }
        if (option instanceof RawUnixChannelOption) {
            RawUnixChannelOption opt = (RawUnixChannelOption) option;
            try {
                socket.setRawOpt(opt.level(), opt.optname(), (ByteBuffer) value);
            } catch (IOException e) {
                throw new ChannelException(e);
            }
            return true;
        }
        return super.setOption(option, value);
    }

    /** {@code getsockopt(level, optname)} of an {@code int}, or a {@link ChannelException}. */
    protected final int getIntOpt(int level, int optname) {
        try {
            return socket.getIntOpt(level, optname);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** {@code setsockopt(level, optname)} of an {@code int}, or a {@link ChannelException}. */
    protected final void setIntOpt(int level, int optname, int value) {
        try {
            socket.setIntOpt(level, optname, value);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** {@code SO_SNDBUF}, for the configs that offer it, or a {@link ChannelException}. */
    final int soSndBuf() {
        try {
            return socket.getSendBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Sets {@code SO_SNDBUF}, or a {@link ChannelException}. */
    final void soSndBuf(int sendBufferSize) {
        try {
            socket.setSendBufferSize(sendBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** {@code SO_RCVBUF}, for the configs that offer it, or a {@link ChannelException}. */
    final int soRcvBuf() {
        try {
            return socket.getReceiveBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Sets {@code SO_RCVBUF}, or a {@link ChannelException}. */
    final void soRcvBuf(int receiveBufferSize) {
        try {
            socket.setReceiveBufferSize(receiveBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    protected final void autoReadCleared() {
        autoReadCleared.run();
    }

    @Override
    public UserpollChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UserpollChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UserpollChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public UserpollChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UserpollChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    /**
     * The channels read with {@link RecvByteBufAllocator.ExtendedHandle#continueReading(io.netty.util.UncheckedBooleanSupplier)}
     * (a stream read that fills less than it asked for is the last one before {@code EAGAIN}), so the allocator's
     * handle must be an {@link RecvByteBufAllocator.ExtendedHandle}.
     */
    @Override
    public UserpollChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        if (!(allocator.newHandle() instanceof RecvByteBufAllocator.ExtendedHandle)) {
            throw new IllegalArgumentException("allocator.newHandle() must return a "
                    + RecvByteBufAllocator.ExtendedHandle.class.getName() + ": " + allocator);
        }
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UserpollChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UserpollChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public UserpollChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UserpollChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public UserpollChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public UserpollChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
