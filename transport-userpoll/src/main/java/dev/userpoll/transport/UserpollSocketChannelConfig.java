package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
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

import java.io.IOException;
import java.util.Map;

import static io.netty.channel.ChannelOption.ALLOW_HALF_CLOSURE;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;
import static io.netty.channel.unix.Limits.SSIZE_MAX;
import static io.netty.util.internal.ObjectUtil.checkPositiveOrZero;

/**
 * Configuration of a userpoll TCP stream channel: every {@link SocketChannelConfig} option plus
 * {@link UserpollChannelOption}'s client-side ones and {@link UserpollChannelOption#SO_REUSEPORT}.
 * {@code TCP_NODELAY} is switched on at construction (as in Netty, wherever Netty enables it by default).
 */
public final class UserpollSocketChannelConfig extends UserpollChannelConfig implements SocketChannelConfig {
    private static final long UINT32_MAX = 0xFFFFFFFFL;

    private volatile boolean allowHalfClosure;
    private volatile boolean tcpFastOpenConnect;
    private volatile long maxBytesPerGatheringWrite = SSIZE_MAX;

    /**
     * @param channel the stream channel this configures
     * @param socket its socket
     * @param autoReadCleared run when {@code autoRead} is switched off
     */
    public UserpollSocketChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel, socket, autoReadCleared);
        if (PlatformDependent.canEnableTcpNoDelayByDefault()) {
            setTcpNoDelay(true);
        }
        updateMaxBytesPerGatheringWrite();
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(),
                SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, SO_KEEPALIVE, SO_REUSEADDR, SO_LINGER, IP_TOS, ALLOW_HALF_CLOSURE,
                UserpollChannelOption.SO_REUSEPORT, UserpollChannelOption.TCP_CORK,
                UserpollChannelOption.TCP_NOTSENT_LOWAT, UserpollChannelOption.TCP_KEEPIDLE,
                UserpollChannelOption.TCP_KEEPINTVL, UserpollChannelOption.TCP_KEEPCNT,
                UserpollChannelOption.TCP_USER_TIMEOUT, UserpollChannelOption.TCP_QUICKACK,
                UserpollChannelOption.SO_BUSY_POLL, UserpollChannelOption.TCP_FASTOPEN_CONNECT);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        if (option == SO_SNDBUF) {
            return (T) Integer.valueOf(getSendBufferSize());
        }
        if (option == TCP_NODELAY) {
            return (T) Boolean.valueOf(isTcpNoDelay());
        }
        if (option == SO_KEEPALIVE) {
            return (T) Boolean.valueOf(isKeepAlive());
        }
        if (option == SO_REUSEADDR) {
            return (T) Boolean.valueOf(isReuseAddress());
        }
        if (option == SO_LINGER) {
            return (T) Integer.valueOf(getSoLinger());
        }
        if (option == IP_TOS) {
            return (T) Integer.valueOf(getTrafficClass());
        }
        if (option == ALLOW_HALF_CLOSURE) {
            return (T) Boolean.valueOf(isAllowHalfClosure());
        }
        if (option == UserpollChannelOption.SO_REUSEPORT) {
            return (T) Boolean.valueOf(isReusePort());
        }
        if (option == UserpollChannelOption.TCP_CORK) {
            return (T) Boolean.valueOf(isTcpCork());
        }
        if (option == UserpollChannelOption.TCP_NOTSENT_LOWAT) {
            return (T) Long.valueOf(getTcpNotSentLowAt());
        }
        if (option == UserpollChannelOption.TCP_KEEPIDLE) {
            return (T) Integer.valueOf(getTcpKeepIdle());
        }
        if (option == UserpollChannelOption.TCP_KEEPINTVL) {
            return (T) Integer.valueOf(getTcpKeepIntvl());
        }
        if (option == UserpollChannelOption.TCP_KEEPCNT) {
            return (T) Integer.valueOf(getTcpKeepCnt());
        }
        if (option == UserpollChannelOption.TCP_USER_TIMEOUT) {
            return (T) Integer.valueOf(getTcpUserTimeout());
        }
        if (option == UserpollChannelOption.TCP_QUICKACK) {
            return (T) Boolean.valueOf(isTcpQuickAck());
        }
        if (option == UserpollChannelOption.SO_BUSY_POLL) {
            return (T) Integer.valueOf(getSoBusyPoll());
        }
        if (option == UserpollChannelOption.TCP_FASTOPEN_CONNECT) {
            return (T) Boolean.valueOf(isTcpFastOpenConnect());
        }
        return super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
        } else if (option == TCP_NODELAY) {
            setTcpNoDelay((Boolean) value);
        } else if (option == SO_KEEPALIVE) {
            setKeepAlive((Boolean) value);
        } else if (option == SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == SO_LINGER) {
            setSoLinger((Integer) value);
        } else if (option == IP_TOS) {
            setTrafficClass((Integer) value);
        } else if (option == ALLOW_HALF_CLOSURE) {
            setAllowHalfClosure((Boolean) value);
        } else if (option == UserpollChannelOption.SO_REUSEPORT) {
            setReusePort((Boolean) value);
        } else if (option == UserpollChannelOption.TCP_CORK) {
            setTcpCork((Boolean) value);
        } else if (option == UserpollChannelOption.TCP_NOTSENT_LOWAT) {
            setTcpNotSentLowAt((Long) value);
        } else if (option == UserpollChannelOption.TCP_KEEPIDLE) {
            setTcpKeepIdle((Integer) value);
        } else if (option == UserpollChannelOption.TCP_KEEPINTVL) {
            setTcpKeepIntvl((Integer) value);
        } else if (option == UserpollChannelOption.TCP_KEEPCNT) {
            setTcpKeepCnt((Integer) value);
        } else if (option == UserpollChannelOption.TCP_USER_TIMEOUT) {
            setTcpUserTimeout((Integer) value);
        } else if (option == UserpollChannelOption.TCP_QUICKACK) {
            setTcpQuickAck((Boolean) value);
        } else if (option == UserpollChannelOption.SO_BUSY_POLL) {
            setSoBusyPoll((Integer) value);
        } else if (option == UserpollChannelOption.TCP_FASTOPEN_CONNECT) {
            setTcpFastOpenConnect((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    // ---- SocketChannelConfig: through io.netty.channel.unix.Socket

    @Override
    public int getReceiveBufferSize() {
        try {
            return socket().getReceiveBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        try {
            socket().setReceiveBufferSize(receiveBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public int getSendBufferSize() {
        try {
            return socket().getSendBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollSocketChannelConfig setSendBufferSize(int sendBufferSize) {
        try {
            socket().setSendBufferSize(sendBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        updateMaxBytesPerGatheringWrite();
        return this;
    }

    @Override
    public boolean isTcpNoDelay() {
        try {
            return socket().isTcpNoDelay();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollSocketChannelConfig setTcpNoDelay(boolean tcpNoDelay) {
        try {
            socket().setTcpNoDelay(tcpNoDelay);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public boolean isKeepAlive() {
        try {
            return socket().isKeepAlive();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollSocketChannelConfig setKeepAlive(boolean keepAlive) {
        try {
            socket().setKeepAlive(keepAlive);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        try {
            return socket().isReuseAddress();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        try {
            socket().setReuseAddress(reuseAddress);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    /** {@code SO_LINGER} in seconds, or {@code -1} when lingering is off. */
    @Override
    public int getSoLinger() {
        try {
            return socket().getSoLinger();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Linger for {@code soLinger} seconds on close; a negative value switches lingering off. */
    @Override
    public UserpollSocketChannelConfig setSoLinger(int soLinger) {
        try {
            socket().setSoLinger(soLinger);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    /** {@code IP_TOS} (or {@code IPV6_TCLASS} on an IPv6 socket). */
    @Override
    public int getTrafficClass() {
        try {
            return socket().getTrafficClass();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Sets {@code IP_TOS} (and {@code IPV6_TCLASS} on an IPv6 socket). */
    @Override
    public UserpollSocketChannelConfig setTrafficClass(int trafficClass) {
        try {
            socket().setTrafficClass(trafficClass);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    /** Accepted and ignored, as by Netty's native transports: Linux has no such option. */
    @Override
    public UserpollSocketChannelConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    /** Whether a read EOF only shuts the input down (the channel stays open for writing). Kept in user space. */
    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public UserpollSocketChannelConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    // ---- Linux options

    /** {@code SO_REUSEPORT}; takes effect only when set before bind. */
    public boolean isReusePort() {
        try {
            return socket().isReusePort();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    public UserpollSocketChannelConfig setReusePort(boolean reusePort) {
        try {
            socket().setReusePort(reusePort);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    public boolean isTcpCork() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_CORK) != 0;
    }

    public UserpollSocketChannelConfig setTcpCork(boolean tcpCork) {
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_CORK, tcpCork ? 1 : 0);
        return this;
    }

    /** {@code TCP_NOTSENT_LOWAT} in bytes: a {@code uint32_t}, widened without sign. */
    public long getTcpNotSentLowAt() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_NOTSENT_LOWAT) & UINT32_MAX;
    }

    /** @param tcpNotSentLowAt bytes, in {@code [0, 0xFFFFFFFF]} */
    public UserpollSocketChannelConfig setTcpNotSentLowAt(long tcpNotSentLowAt) {
        if (tcpNotSentLowAt < 0 || tcpNotSentLowAt > UINT32_MAX) {
            throw new IllegalArgumentException("tcpNotSentLowAt: " + tcpNotSentLowAt + " (expected: 0-" + UINT32_MAX
                    + ')');
        }
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_NOTSENT_LOWAT, (int) tcpNotSentLowAt);
        return this;
    }

    public int getTcpKeepIdle() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_KEEPIDLE);
    }

    /** @param seconds idle time before the first keep-alive probe */
    public UserpollSocketChannelConfig setTcpKeepIdle(int seconds) {
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_KEEPIDLE, seconds);
        return this;
    }

    public int getTcpKeepIntvl() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_KEEPINTVL);
    }

    /** @param seconds between keep-alive probes */
    public UserpollSocketChannelConfig setTcpKeepIntvl(int seconds) {
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_KEEPINTVL, seconds);
        return this;
    }

    public int getTcpKeepCnt() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_KEEPCNT);
    }

    /** @param probes unanswered keep-alive probes before the connection is dropped */
    public UserpollSocketChannelConfig setTcpKeepCnt(int probes) {
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_KEEPCNT, probes);
        return this;
    }

    public int getTcpUserTimeout() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_USER_TIMEOUT);
    }

    /** @param milliseconds transmitted data may stay unacknowledged before the connection is dropped */
    public UserpollSocketChannelConfig setTcpUserTimeout(int milliseconds) {
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_USER_TIMEOUT, milliseconds);
        return this;
    }

    public boolean isTcpQuickAck() {
        return getIntOpt(Native.IPPROTO_TCP, Native.TCP_QUICKACK) != 0;
    }

    /** The kernel may leave quick-ack mode on its own later; see {@code man 7 tcp}. */
    public UserpollSocketChannelConfig setTcpQuickAck(boolean quickAck) {
        setIntOpt(Native.IPPROTO_TCP, Native.TCP_QUICKACK, quickAck ? 1 : 0);
        return this;
    }

    public int getSoBusyPoll() {
        return getIntOpt(Native.SOL_SOCKET, Native.SO_BUSY_POLL);
    }

    /** @param loopMicros busy-poll time; raising it above the current value needs CAP_NET_ADMIN */
    public UserpollSocketChannelConfig setSoBusyPoll(int loopMicros) {
        setIntOpt(Native.SOL_SOCKET, Native.SO_BUSY_POLL, checkPositiveOrZero(loopMicros, "loopMicros"));
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
            setIntOpt(Native.IPPROTO_TCP, Native.TCP_FASTOPEN_CONNECT, fastOpenConnect ? 1 : 0);
            tcpFastOpenConnect = fastOpenConnect;
        }
        return this;
    }

    // ---- for the channel's write loop

    /** Upper bound of one gathering write: twice {@code SO_SNDBUF} (the kernel may drain faster than we fill). */
    public long getMaxBytesPerGatheringWrite() {
        return maxBytesPerGatheringWrite;
    }

    /** Lets the write loop adapt the bound to what the kernel accepted. */
    public void setMaxBytesPerGatheringWrite(long maxBytesPerGatheringWrite) {
        this.maxBytesPerGatheringWrite = maxBytesPerGatheringWrite;
    }

    private void updateMaxBytesPerGatheringWrite() {
        long twiceSendBuffer = (long) getSendBufferSize() << 1;
        if (twiceSendBuffer > 0) {
            maxBytesPerGatheringWrite = Math.min(twiceSendBuffer, SSIZE_MAX);
        }
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
