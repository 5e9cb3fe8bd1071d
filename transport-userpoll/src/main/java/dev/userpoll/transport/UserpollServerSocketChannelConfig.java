package dev.userpoll.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.netty.channel.unix.Socket;
import io.netty.util.NetUtil;

import java.util.Map;

import static io.netty.channel.ChannelOption.SO_BACKLOG;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.util.internal.ObjectUtil.checkPositiveOrZero;

/**
 * Configuration of a userpoll TCP listening channel: every {@link ServerSocketChannelConfig} option plus
 * {@link UserpollChannelOption#SO_REUSEPORT}, {@link UserpollChannelOption#TCP_FASTOPEN} and
 * {@link UserpollChannelOption#TCP_DEFER_ACCEPT}. {@code SO_REUSEADDR} is switched on at construction, as
 * {@code java.nio} and Netty do. Accepting reads "messages" (connections), so the read allocator is Netty's
 * {@link ServerChannelRecvByteBufAllocator}.
 */
public final class UserpollServerSocketChannelConfig extends UserpollChannelConfig
        implements ServerSocketChannelConfig {
    /** The kernel's options; the backlog and the fast-open queue length are also handled here. */
    private final TcpSocketOptions options;
    private volatile int backlog = NetUtil.SOMAXCONN;
    private volatile int tcpFastopen;

    /**
     * @param channel the listening channel this configures
     * @param socket its socket
     * @param autoReadCleared run when {@code autoRead} is switched off
     */
    public UserpollServerSocketChannelConfig(Channel channel, Socket socket, Runnable autoReadCleared) {
        super(channel, socket, autoReadCleared, new ServerChannelRecvByteBufAllocator());
        options = new TcpSocketOptions(socket, SO_RCVBUF, SO_REUSEADDR, UserpollChannelOption.SO_REUSEPORT,
                UserpollChannelOption.TCP_DEFER_ACCEPT);
        setReuseAddress(true);
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(getOptions(super.getOptions(), options.offered()),
                SO_BACKLOG, UserpollChannelOption.TCP_FASTOPEN);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        if (option == SO_BACKLOG) {
            return (T) Integer.valueOf(getBacklog());
        }
        if (option == UserpollChannelOption.TCP_FASTOPEN) {
            return (T) Integer.valueOf(getTcpFastopen());
        }
        Object kernel = options.get(option);
        return kernel != null ? (T) kernel : super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_BACKLOG) {
            setBacklog((Integer) value);
        } else if (option == UserpollChannelOption.TCP_FASTOPEN) {
            setTcpFastopen((Integer) value);
        } else if (!options.set(option, value)) {
            return super.setOption(option, value);
        }
        return true;
    }

    /** The {@code listen(2)} backlog the channel passes at bind; kept in user space. */
    @Override
    public int getBacklog() {
        return backlog;
    }

    @Override
    public UserpollServerSocketChannelConfig setBacklog(int backlog) {
        this.backlog = checkPositiveOrZero(backlog, "backlog");
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        return options.isReuseAddress();
    }

    @Override
    public UserpollServerSocketChannelConfig setReuseAddress(boolean reuseAddress) {
        options.setReuseAddress(reuseAddress);
        return this;
    }

    /** {@code SO_RCVBUF} of the listener, which accepted sockets inherit. */
    @Override
    public int getReceiveBufferSize() {
        return options.getReceiveBufferSize();
    }

    @Override
    public UserpollServerSocketChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        options.setReceiveBufferSize(receiveBufferSize);
        return this;
    }

    /** Accepted and ignored, as by Netty's native transports: Linux has no such option. */
    @Override
    public UserpollServerSocketChannelConfig setPerformancePreferences(int connectionTime, int latency,
                                                                       int bandwidth) {
        return this;
    }

    /** {@code SO_REUSEPORT}: several listeners share one port; set it before bind. */
    public boolean isReusePort() {
        return options.isReusePort();
    }

    public UserpollServerSocketChannelConfig setReusePort(boolean reusePort) {
        options.setReusePort(reusePort);
        return this;
    }

    /**
     * The {@code TCP_FASTOPEN} queue length last set (0: server-side fast open off).
     *
     * @see <a href="https://tools.ietf.org/html/rfc7413#appendix-A.2">RFC 7413 Passive Open</a>
     */
    public int getTcpFastopen() {
        return tcpFastopen;
    }

    /**
     * Allows up to {@code pendingFastOpenRequests} fast-open connections not yet accepted. Applied to the fd at once
     * (the kernel takes it before or after {@code listen}); whether fast open then happens also depends on the server
     * bit of {@code net.ipv4.tcp_fastopen}.
     */
    public UserpollServerSocketChannelConfig setTcpFastopen(int pendingFastOpenRequests) {
        checkPositiveOrZero(pendingFastOpenRequests, "pendingFastOpenRequests");
        // 0 on a socket that never had it is the kernel's default already: no need to ask.
        if (pendingFastOpenRequests > 0 || tcpFastopen > 0) {
            options.setTcpFastopen(pendingFastOpenRequests);
        }
        tcpFastopen = pendingFastOpenRequests;
        return this;
    }

    /** {@code TCP_DEFER_ACCEPT} in seconds, as the kernel rounded it (to its SYN-ACK retransmission steps). */
    public int getTcpDeferAccept() {
        return options.getTcpDeferAccept();
    }

    /** @param seconds how long an accepted connection may wait for its first data before it is reported */
    public UserpollServerSocketChannelConfig setTcpDeferAccept(int seconds) {
        options.setTcpDeferAccept(seconds);
        return this;
    }

    // ---- covariant ChannelConfig setters

    @Override
    public UserpollServerSocketChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UserpollServerSocketChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public UserpollServerSocketChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UserpollServerSocketChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public UserpollServerSocketChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
