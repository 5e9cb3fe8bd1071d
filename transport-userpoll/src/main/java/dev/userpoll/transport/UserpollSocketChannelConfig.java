package dev.userpoll.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.util.internal.PlatformDependent;

import java.util.Map;
import java.util.Set;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;

/**
 * Configuration of a userpoll TCP stream channel: every {@link SocketChannelConfig} option plus
 * {@link UserpollChannelOption}'s client-side ones and {@link UserpollChannelOption#SO_REUSEPORT}.
 * {@code TCP_NODELAY} is switched on at construction (as in Netty, wherever Netty enables it by default).
 */
public final class UserpollSocketChannelConfig extends UserpollStreamChannelConfig implements SocketChannelConfig {
    /** The kernel options this configuration offers, made once for every channel. */
    private static final Set<ChannelOption<?>> OFFERED = Set.of(
            SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR, SO_LINGER, IP_TOS,
            UserpollChannelOption.SO_REUSEPORT, UserpollChannelOption.TCP_CORK,
            UserpollChannelOption.TCP_NOTSENT_LOWAT, UserpollChannelOption.TCP_KEEPIDLE,
            UserpollChannelOption.TCP_KEEPINTVL, UserpollChannelOption.TCP_KEEPCNT,
            UserpollChannelOption.TCP_USER_TIMEOUT, UserpollChannelOption.TCP_QUICKACK,
            UserpollChannelOption.SO_BUSY_POLL);
    /** The kernel's options; {@code SO_SNDBUF}, half-closure and client fast open are also handled here. */
    private final TcpSocketOptions options;
    private volatile boolean tcpFastOpenConnect;

    /**
     * @param channel the stream channel this configures
     * @param socket its socket
     * @param autoReadCleared run when {@code autoRead} is switched off
     */
    public UserpollSocketChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel, socket, autoReadCleared);
        options = new TcpSocketOptions(socket, OFFERED);
        if (PlatformDependent.canEnableTcpNoDelayByDefault()) {
            setTcpNoDelay(true);
        }
        // The gathering-write bound reads SO_SNDBUF on first use (UserpollStreamChannelConfig).
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(getOptions(super.getOptions(), options.offered()),
                ALLOW_HALF_CLOSURE, UserpollChannelOption.TCP_FASTOPEN_CONNECT);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        if (option == UserpollChannelOption.TCP_FASTOPEN_CONNECT) {
            return (T) Boolean.valueOf(isTcpFastOpenConnect());
        }
        Object kernel = options.get(option);
        return kernel != null ? (T) kernel : super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else if (option == UserpollChannelOption.TCP_FASTOPEN_CONNECT) {
            setTcpFastOpenConnect((Boolean) value);
        } else if (!options.set(option, value)) {
            return super.setOption(option, value);
        }
        return true;
    }

    // ---- SocketChannelConfig: the kernel's options, through TcpSocketOptions

    @Override
    public int getReceiveBufferSize() {
        return options.getReceiveBufferSize();
    }

    @Override
    public UserpollSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        options.setReceiveBufferSize(receiveBufferSize);
        return this;
    }

    @Override
    public int getSendBufferSize() {
        return options.getSendBufferSize();
    }

    @Override
    public UserpollSocketChannelConfig setSendBufferSize(int sendBufferSize) {
        options.setSendBufferSize(sendBufferSize);
        updateMaxBytesPerGatheringWrite();
        return this;
    }

    @Override
    public boolean isTcpNoDelay() {
        return options.isTcpNoDelay();
    }

    @Override
    public UserpollSocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
        options.setTcpNoDelay(tcpNoDelay);
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        return options.isKeepAlive();
    }

    @Override
    public UserpollSocketChannelConfig setKeepAlive(boolean keepAlive) {
        options.setKeepAlive(keepAlive);
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return options.isReuseAddress();
    }

    @Override
    public UserpollSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        options.setReuseAddress(reuseAddress);
        return this;
    }

    /** {@code SO_LINGER} in seconds, or {@code -1} when lingering is off. */
    @Override
    public int getSoLinger() {
        return options.getSoLinger();
    }

    /** Linger for {@code soLinger} seconds on close; a negative value switches lingering off. */
    @Override
    public UserpollSocketChannelConfig setSoLinger(int soLinger) {
        options.setSoLinger(soLinger);
        return this;
    }

    /** {@code IP_TOS} (or {@code IPV6_TCLASS} on an IPv6 socket). */
    @Override
    public int getTrafficClass() {
        return options.getTrafficClass();
    }

    /** Sets {@code IP_TOS} (and {@code IPV6_TCLASS} on an IPv6 socket). */
    @Override
    public UserpollSocketChannelConfig setTrafficClass(int trafficClass) {
        options.setTrafficClass(trafficClass);
        return this;
    }

    /** Accepted and ignored, as by Netty's native transports: Linux has no such option. */
    @Override
    public UserpollSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        super.setAllowHalfClosure(allowHalfClosure);
        return this;
    }

    // ---- Linux options

    /** {@code SO_REUSEPORT}; takes effect only when set before bind. */
    public boolean isReusePort() {
        return options.isReusePort();
    }

    public UserpollSocketChannelConfig setReusePort(boolean reusePort) {
        options.setReusePort(reusePort);
        return this;
    }

    public boolean isTcpCork() {
        return options.isTcpCork();
    }

    public UserpollSocketChannelConfig setTcpCork(boolean tcpCork) {
        options.setTcpCork(tcpCork);
        return this;
    }

    /** {@code TCP_NOTSENT_LOWAT} in bytes: a {@code uint32_t}, widened without sign. */
    public long getTcpNotSentLowAt() {
        return options.getTcpNotSentLowAt();
    }

    /** @param tcpNotSentLowAt bytes, in {@code [0, 0xFFFFFFFF]} */
    public UserpollSocketChannelConfig setTcpNotSentLowAt(long tcpNotSentLowAt) {
        options.setTcpNotSentLowAt(tcpNotSentLowAt);
        return this;
    }

    public int getTcpKeepIdle() {
        return options.getTcpKeepIdle();
    }

    /** @param seconds idle time before the first keep-alive probe */
    public UserpollSocketChannelConfig setTcpKeepIdle(int seconds) {
        options.setTcpKeepIdle(seconds);
        return this;
    }

    public int getTcpKeepIntvl() {
        return options.getTcpKeepIntvl();
    }

    /** @param seconds between keep-alive probes */
    public UserpollSocketChannelConfig setTcpKeepIntvl(int seconds) {
        options.setTcpKeepIntvl(seconds);
        return this;
    }

    public int getTcpKeepCnt() {
        return options.getTcpKeepCnt();
    }

    /** @param probes unanswered keep-alive probes before the connection is dropped */
    public UserpollSocketChannelConfig setTcpKeepCnt(int probes) {
        options.setTcpKeepCnt(probes);
        return this;
    }

    public int getTcpUserTimeout() {
        return options.getTcpUserTimeout();
    }

    /** @param milliseconds transmitted data may stay unacknowledged before the connection is dropped */
    public UserpollSocketChannelConfig setTcpUserTimeout(int milliseconds) {
        options.setTcpUserTimeout(milliseconds);
        return this;
    }

    public boolean isTcpQuickAck() {
        return options.isTcpQuickAck();
    }

    /** The kernel may leave quick-ack mode on its own later; see {@code man 7 tcp}. */
    public UserpollSocketChannelConfig setTcpQuickAck(boolean quickAck) {
        options.setTcpQuickAck(quickAck);
        return this;
    }

    public int getSoBusyPoll() {
        return options.getSoBusyPoll();
    }

    /** @param loopMicros busy-poll time; raising it above the current value needs CAP_NET_ADMIN */
    public UserpollSocketChannelConfig setSoBusyPoll(int loopMicros) {
        options.setSoBusyPoll(loopMicros);
        return this;
    }

    /**
     * Whether client TCP fast open is on: the kernel then lets {@code connect} complete at once and sends the first
     * write's data in the SYN (the cookie permitting). The flag is what the channel consults; it is only set once
     * the kernel accepted {@code TCP_FASTOPEN_CONNECT} on the fd.
     */
    public boolean isTcpFastOpenConnect() {
        return tcpFastOpenConnect;
    }

    /**
     * Sets {@code TCP_FASTOPEN_CONNECT} on the fd (before connect; Linux 4.11+, and the client bit of
     * {@code net.ipv4.tcp_fastopen}). A refusal by the kernel is a {@link ChannelException} and leaves the flag as
     * it was.
     */
    public UserpollSocketChannelConfig setTcpFastOpenConnect(boolean fastOpenConnect) {
        if (fastOpenConnect != tcpFastOpenConnect) {
            // Only a change reaches the kernel: it refuses the option once connected, even to clear it.
            options.setTcpFastOpenConnect(fastOpenConnect);
            tcpFastOpenConnect = fastOpenConnect;
        }
        return this;
    }

    // ---- covariant ChannelConfig setters

    @Override
    public UserpollSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UserpollSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public UserpollSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UserpollSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public UserpollSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
