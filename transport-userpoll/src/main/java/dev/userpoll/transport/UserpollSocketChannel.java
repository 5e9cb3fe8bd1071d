package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Errors;

import java.net.InetSocketAddress;

/**
 * A TCP {@link SocketChannel} served by a {@link UserpollIoHandler}: registered with the loop's ring
 * source once, edge-triggered, when it connects or is accepted.
 */
public final class UserpollSocketChannel extends AbstractUserpollStreamChannel implements SocketChannel {
    private final UserpollSocketChannelConfig config;

    /** A TCP socket of the JVM's preferred address family, to connect. */
    public UserpollSocketChannel() {
        this((SocketProtocolFamily) null);
    }

    /** A TCP socket of {@code family} ({@code null}: the JVM's preferred one), to connect. */
    public UserpollSocketChannel(SocketProtocolFamily family) {
        super(null, UserpollSocket.newStream(family), false);
        config = new UserpollSocketChannelConfig(this, socket, this::clearReadPending);
    }

    /**
     * A channel on an existing TCP socket {@code fd} (inherited, e.g. by systemd socket activation), which this
     * channel owns from now on: it is made non-blocking, and a connected socket is active at once with its local
     * and remote addresses read back; an unconnected one connects as usual.
     */
    public UserpollSocketChannel(int fd) {
        this(UserpollSocket.inherited(fd));
    }

    private UserpollSocketChannel(UserpollSocket socket) {
        super(null, socket, socket.remoteAddress() != null);
        config = new UserpollSocketChannelConfig(this, socket, this::clearReadPending);
    }

    /** An accepted connection; {@code local}: its local address when the listener knows it, else null. */
    UserpollSocketChannel(Channel parent, UserpollSocket socket, InetSocketAddress remote, InetSocketAddress local) {
        super(parent, socket, remote, local);
        config = new UserpollSocketChannelConfig(this, socket, this::clearReadPending);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    /** The connection's {@code TCP_INFO} now, in a new holder. */
    public UserpollTcpInfo tcpInfo() {
        return tcpInfo(new UserpollTcpInfo());
    }

    /**
     * Fills {@code info} with the connection's {@code TCP_INFO} now and returns it (no allocation). A closed channel
     * or a kernel error is a {@link ChannelException}.
     */
    public UserpollTcpInfo tcpInfo(UserpollTcpInfo info) {
        int res = Native.tcpInfo(socket.intValue(), info.info);
        if (res < 0) {
            throw new ChannelException(Errors.newIOException("getsockopt(TCP_INFO)", res));
        }
        return info;
    }

    @Override
    public UserpollSocketChannelConfig config() {
        return config;
    }

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }
}
