package dev.userpoll.transport;

import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;

import java.util.Map;

import static io.netty.channel.ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_SNDBUF;

/**
 * What the configurations of both datagram channels ({@link UserpollDatagramChannelConfig},
 * {@link UserpollDomainDatagramChannelConfig}) share: {@code SO_SNDBUF}, {@code SO_RCVBUF},
 * {@code DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION}, and reads into a {@link FixedRecvByteBufAllocator} of 2048 bytes
 * by default, as Netty's datagram channels do. The subclasses return themselves from the setters (Netty's config
 * interfaces need the covariant types).
 */
abstract class AbstractUserpollDatagramChannelConfig extends UserpollChannelConfig {
    private final AbstractUserpollDatagramChannel channel;
    private volatile boolean activeOnOpen;

    AbstractUserpollDatagramChannelConfig(AbstractUserpollDatagramChannel channel, UserpollSocket socket) {
        super(channel, socket, channel::clearReadPending, new FixedRecvByteBufAllocator(2048));
        this.channel = channel;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_SNDBUF, SO_RCVBUF, DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION);
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
        if (option == DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION) {
            return (T) Boolean.valueOf(activeOnOpen);
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
        } else if (option == DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION) {
            setActiveOnOpen((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    /** Whether the channel is active once registered, before any bind or connect. */
    final boolean getActiveOnOpen() {
        return activeOnOpen;
    }

    private void setActiveOnOpen(boolean activeOnOpen) {
        if (channel.isRegistered()) {
            throw new IllegalStateException("can only be changed before the channel is registered");
        }
        this.activeOnOpen = activeOnOpen;
    }

    /** {@code SO_SNDBUF}. */
    public int getSendBufferSize() {
        return soSndBuf();
    }

    /** {@code SO_SNDBUF}. */
    public AbstractUserpollDatagramChannelConfig setSendBufferSize(int sendBufferSize) {
        soSndBuf(sendBufferSize);
        return this;
    }

    /** {@code SO_RCVBUF}. */
    public int getReceiveBufferSize() {
        return soRcvBuf();
    }

    /** {@code SO_RCVBUF}. */
    public AbstractUserpollDatagramChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        soRcvBuf(receiveBufferSize);
        return this;
    }
}
