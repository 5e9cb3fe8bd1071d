package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.util.Set;

import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_KEEPALIVE;
import static io.netty.channel.ChannelOption.SO_LINGER;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;
import static io.netty.channel.ChannelOption.TCP_NODELAY;
import static io.netty.util.internal.ObjectUtil.checkNotNull;
import static io.netty.util.internal.ObjectUtil.checkPositiveOrZero;

/**
 * The kernel side of a TCP socket's options, shared by the stream and the listening channel's configurations:
 * each option as one {@code getsockopt} / {@code setsockopt} on the fd, and a kernel error as a
 * {@link ChannelException} wrapping the {@link IOException}, as in Netty. It keeps no state, so every read asks
 * the kernel; options that live in user space (backlog, half-closure, the fast-open flags) stay with the
 * configurations, which also decide when a call reaches the kernel at all.
 * <p>A configuration names the options it offers by {@link ChannelOption} at construction, and its
 * {@code getOption} / {@code setOption} hand those to {@link #get} and {@link #set}: the mapping from an option to
 * its system call is then written once for both channels, and an option one channel does not offer (a listener
 * has no {@code TCP_CORK}) still falls through to Netty's default handling there.
 */
final class TcpSocketOptions {
    private static final long UINT32_MAX = 0xFFFFFFFFL;

    private final Socket socket;
    private final Set<ChannelOption<?>> offered;
    /**
     * TCP_NODELAY as this instance last set it: 0 unknown, 1 off, 2 on. A set to the same value is not repeated (a
     * default set at construction and the same child option from the bootstrap would cost two calls per connection).
     * Guarded by this object's lock, so that two threads setting it at once leave it matching the kernel's.
     */
    private byte tcpNoDelaySet;

    /**
     * @param socket the fd the options act on
     * @param offered the options {@link #get} and {@link #set} answer for; each must be one they know
     */
    TcpSocketOptions(Socket socket, ChannelOption<?>... offered) {
        this(socket, Set.of(offered));
    }

    /** As above, with a set made once by the configuration class (not once per channel). */
    TcpSocketOptions(Socket socket, Set<ChannelOption<?>> offered) {
        this.socket = checkNotNull(socket, "socket");
        this.offered = offered;
    }

    /** The options this instance answers for, for the configuration's {@code getOptions()}. */
    ChannelOption<?>[] offered() {
        return offered.toArray(new ChannelOption<?>[0]);
    }

    // ---- by ChannelOption, for the configurations' getOption / setOption

    /** {@code option}'s value as the kernel has it, or {@code null} when this instance does not offer it. */
    Object get(ChannelOption<?> option) {
        if (!offered.contains(option)) {
            return null;
        }
        if (option == SO_RCVBUF) {
            return getReceiveBufferSize();
        }
        if (option == SO_SNDBUF) {
            return getSendBufferSize();
        }
        if (option == TCP_NODELAY) {
            return isTcpNoDelay();
        }
        if (option == SO_KEEPALIVE) {
            return isKeepAlive();
        }
        if (option == SO_REUSEADDR) {
            return isReuseAddress();
        }
        if (option == SO_LINGER) {
            return getSoLinger();
        }
        if (option == IP_TOS) {
            return getTrafficClass();
        }
        if (option == UserpollChannelOption.SO_REUSEPORT) {
            return isReusePort();
        }
        if (option == UserpollChannelOption.SO_BUSY_POLL) {
            return getSoBusyPoll();
        }
        if (option == UserpollChannelOption.TCP_CORK) {
            return isTcpCork();
        }
        if (option == UserpollChannelOption.TCP_NOTSENT_LOWAT) {
            return getTcpNotSentLowAt();
        }
        if (option == UserpollChannelOption.TCP_KEEPIDLE) {
            return getTcpKeepIdle();
        }
        if (option == UserpollChannelOption.TCP_KEEPINTVL) {
            return getTcpKeepIntvl();
        }
        if (option == UserpollChannelOption.TCP_KEEPCNT) {
            return getTcpKeepCnt();
        }
        if (option == UserpollChannelOption.TCP_USER_TIMEOUT) {
            return getTcpUserTimeout();
        }
        if (option == UserpollChannelOption.TCP_QUICKACK) {
            return isTcpQuickAck();
        }
        if (option == UserpollChannelOption.TCP_DEFER_ACCEPT) {
            return getTcpDeferAccept();
        }
        throw new IllegalStateException("offered but not known: " + option);
    }

    /**
     * Sets {@code option} (already validated by the configuration) on the fd; {@code false} when this instance does
     * not offer it. A configuration that keeps state derived from an option (the stream channel's gathering-write
     * bound from {@code SO_SNDBUF}) sets that option itself before asking here.
     */
    boolean set(ChannelOption<?> option, Object value) {
        if (!offered.contains(option)) {
            return false;
        }
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
        } else if (option == UserpollChannelOption.SO_REUSEPORT) {
            setReusePort((Boolean) value);
        } else if (option == UserpollChannelOption.SO_BUSY_POLL) {
            setSoBusyPoll((Integer) value);
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
        } else if (option == UserpollChannelOption.TCP_DEFER_ACCEPT) {
            setTcpDeferAccept((Integer) value);
        } else {
            throw new IllegalStateException("offered but not known: " + option);
        }
        return true;
    }

    // ---- SOL_SOCKET and IP options, through io.netty.channel.unix.Socket

    int getReceiveBufferSize() {
        try {
            return socket.getReceiveBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setReceiveBufferSize(int receiveBufferSize) {
        try {
            socket.setReceiveBufferSize(receiveBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    int getSendBufferSize() {
        try {
            return socket.getSendBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setSendBufferSize(int sendBufferSize) {
        try {
            socket.setSendBufferSize(sendBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    boolean isKeepAlive() {
        try {
            return socket.isKeepAlive();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setKeepAlive(boolean keepAlive) {
        try {
            socket.setKeepAlive(keepAlive);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    boolean isReuseAddress() {
        try {
            return socket.isReuseAddress();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setReuseAddress(boolean reuseAddress) {
        try {
            socket.setReuseAddress(reuseAddress);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    boolean isReusePort() {
        try {
            return socket.isReusePort();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setReusePort(boolean reusePort) {
        try {
            socket.setReusePort(reusePort);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Seconds, or {@code -1} when lingering is off. */
    int getSoLinger() {
        try {
            return socket.getSoLinger();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setSoLinger(int soLinger) {
        try {
            socket.setSoLinger(soLinger);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** {@code IP_TOS}, or {@code IPV6_TCLASS} on an IPv6 socket: {@code Socket} picks by the fd's family. */
    int getTrafficClass() {
        try {
            return socket.getTrafficClass();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    void setTrafficClass(int trafficClass) {
        try {
            socket.setTrafficClass(trafficClass);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    int getSoBusyPoll() {
        return getInt(Native.SOL_SOCKET, Native.SO_BUSY_POLL);
    }

    void setSoBusyPoll(int loopMicros) {
        setInt(Native.SOL_SOCKET, Native.SO_BUSY_POLL, checkPositiveOrZero(loopMicros, "loopMicros"));
    }

    // ---- IPPROTO_TCP options

    boolean isTcpNoDelay() {
        try {
            return socket.isTcpNoDelay();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    synchronized void setTcpNoDelay(boolean tcpNoDelay) {
        byte state = (byte) (tcpNoDelay ? 2 : 1);
        if (tcpNoDelaySet == state) {
            return;
        }
        try {
            socket.setTcpNoDelay(tcpNoDelay);
            tcpNoDelaySet = state;
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    boolean isTcpCork() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_CORK) != 0;
    }

    void setTcpCork(boolean tcpCork) {
        setInt(Native.IPPROTO_TCP, Native.TCP_CORK, tcpCork ? 1 : 0);
    }

    /** The kernel's {@code uint32_t}, widened without sign: its default is often {@code UINT32_MAX}. */
    long getTcpNotSentLowAt() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_NOTSENT_LOWAT) & UINT32_MAX;
    }

    void setTcpNotSentLowAt(long tcpNotSentLowAt) {
        if (tcpNotSentLowAt < 0 || tcpNotSentLowAt > UINT32_MAX) {
            throw new IllegalArgumentException("tcpNotSentLowAt: " + tcpNotSentLowAt + " (expected: 0-" + UINT32_MAX
                    + ')');
        }
        setInt(Native.IPPROTO_TCP, Native.TCP_NOTSENT_LOWAT, (int) tcpNotSentLowAt);
    }

    int getTcpKeepIdle() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_KEEPIDLE);
    }

    void setTcpKeepIdle(int seconds) {
        setInt(Native.IPPROTO_TCP, Native.TCP_KEEPIDLE, seconds);
    }

    int getTcpKeepIntvl() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_KEEPINTVL);
    }

    void setTcpKeepIntvl(int seconds) {
        setInt(Native.IPPROTO_TCP, Native.TCP_KEEPINTVL, seconds);
    }

    int getTcpKeepCnt() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_KEEPCNT);
    }

    void setTcpKeepCnt(int probes) {
        setInt(Native.IPPROTO_TCP, Native.TCP_KEEPCNT, probes);
    }

    int getTcpUserTimeout() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_USER_TIMEOUT);
    }

    void setTcpUserTimeout(int milliseconds) {
        setInt(Native.IPPROTO_TCP, Native.TCP_USER_TIMEOUT, milliseconds);
    }

    boolean isTcpQuickAck() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_QUICKACK) != 0;
    }

    void setTcpQuickAck(boolean quickAck) {
        setInt(Native.IPPROTO_TCP, Native.TCP_QUICKACK, quickAck ? 1 : 0);
    }

    /** Client fast open; the kernel refuses it once connected. */
    void setTcpFastOpenConnect(boolean fastOpenConnect) {
        setInt(Native.IPPROTO_TCP, Native.TCP_FASTOPEN_CONNECT, fastOpenConnect ? 1 : 0);
    }

    /** The listener's queue of fast-open connections not yet accepted (0: off). */
    void setTcpFastopen(int pendingFastOpenRequests) {
        setInt(Native.IPPROTO_TCP, Native.TCP_FASTOPEN, pendingFastOpenRequests);
    }

    /** Seconds, as the kernel rounded them to its SYN-ACK retransmission steps. */
    int getTcpDeferAccept() {
        return getInt(Native.IPPROTO_TCP, Native.TCP_DEFER_ACCEPT);
    }

    void setTcpDeferAccept(int seconds) {
        setInt(Native.IPPROTO_TCP, Native.TCP_DEFER_ACCEPT, seconds);
    }

    private int getInt(int level, int optname) {
        try {
            return socket.getIntOpt(level, optname);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    private void setInt(int level, int optname, int value) {
        try {
            socket.setIntOpt(level, optname, value);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }
}
