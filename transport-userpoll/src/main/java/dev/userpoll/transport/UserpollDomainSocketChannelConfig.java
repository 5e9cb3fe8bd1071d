package dev.userpoll.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketChannelConfig;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannelOption;

import java.util.Map;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.util.internal.ObjectUtil.checkNotNull;

/**
 * Configuration of a {@link UserpollDomainSocketChannel}: {@code SO_SNDBUF}, {@code SO_RCVBUF}, half-closure and
 * {@link UnixChannelOption#DOMAIN_SOCKET_READ_MODE} ({@link DomainSocketReadMode#BYTES}, the default, or
 * {@link DomainSocketReadMode#FILE_DESCRIPTORS}: reads deliver the fds the peer passes, as
 * {@link io.netty.channel.unix.FileDescriptor}s). A change of read mode applies from the next read session on.
 */
public final class UserpollDomainSocketChannelConfig extends UserpollStreamChannelConfig
        implements DomainSocketChannelConfig {
    private volatile DomainSocketReadMode readMode = DomainSocketReadMode.BYTES;

    UserpollDomainSocketChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel, socket, autoReadCleared);
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_SNDBUF, SO_RCVBUF, ALLOW_HALF_CLOSURE,
                UnixChannelOption.DOMAIN_SOCKET_READ_MODE);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        if (option == UnixChannelOption.DOMAIN_SOCKET_READ_MODE) {
            return (T) getReadMode();
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else if (option == UnixChannelOption.DOMAIN_SOCKET_READ_MODE) {
            setReadMode((DomainSocketReadMode) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    @Override
    public DomainSocketReadMode getReadMode() {
        return readMode;
    }

    /** {@link DomainSocketReadMode#FILE_DESCRIPTORS}: reads deliver passed fds (which the reader then owns). */
    @Override
    public UserpollDomainSocketChannelConfig setReadMode(DomainSocketReadMode mode) {
        readMode = checkNotNull(mode, "mode");
        return this;
    }

    /** {@code SO_SNDBUF}. */
    @Override
    public int getSendBufferSize() {
        return soSndBuf();
    }

    /** {@code SO_SNDBUF}; the bound of a gathering write follows it. */
    public UserpollDomainSocketChannelConfig setSendBufferSize(int sendBufferSize) {
        soSndBuf(sendBufferSize);
        updateMaxBytesPerGatheringWrite();
        return this;
    }

    /** {@code SO_RCVBUF}. */
    public int getReceiveBufferSize() {
        return soRcvBuf();
    }

    /** {@code SO_RCVBUF}. */
    public UserpollDomainSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        soRcvBuf(receiveBufferSize);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        super.setAllowHalfClosure(allowHalfClosure);
        return this;
    }

    // ---- covariant ChannelConfig setters

    @Override
    public UserpollDomainSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UserpollDomainSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public UserpollDomainSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UserpollDomainSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public UserpollDomainSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
