package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;

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

    /** An accepted connection. */
    UserpollSocketChannel(Channel parent, UserpollSocket socket, InetSocketAddress remote) {
        super(parent, socket, remote);
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

    @Override
    public UserpollSocketChannelConfig config() {
        return config;
    }

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }
}
