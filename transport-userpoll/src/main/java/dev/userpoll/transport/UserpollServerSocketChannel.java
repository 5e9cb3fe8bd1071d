package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.NativeInetAddress;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A listening TCP socket served by a {@link UserpollIoHandler}. It accepts until EAGAIN on every edge;
 * when the process runs out of fds ({@code EMFILE}/{@code ENFILE}) the pending connections stay in the
 * backlog without a new edge, so it retries on a timer (backing off) until accepting works again.
 */
public final class UserpollServerSocketChannel extends AbstractUserpollServerChannel implements ServerSocketChannel {
    /** See {@link #childLocalAddress()}; decided on the first accept (the listener is bound by then). Loop only. */
    private InetSocketAddress childLocalAddress;
    private boolean childLocalAddressKnown;

    private final UserpollServerSocketChannelConfig config;

    /** A listening TCP socket of the JVM's preferred address family. */
    public UserpollServerSocketChannel() {
        this((SocketProtocolFamily) null);
    }

    /** A listening TCP socket of {@code family} ({@code null}: the JVM's preferred one). */
    public UserpollServerSocketChannel(SocketProtocolFamily family) {
        super(UserpollSocket.newStream(family), false);
        config = new UserpollServerSocketChannelConfig(this, socket, this::clearReadPending);
    }

    /**
     * A channel on an existing TCP socket {@code fd} (inherited, e.g. by systemd socket activation), which this
     * channel owns from now on: it is made non-blocking and its local address read back. A socket that is already
     * listening is active at once and accepts as soon as it is registered; an unbound one is bound as usual.
     */
    public UserpollServerSocketChannel(int fd) {
        this(UserpollSocket.inherited(fd));
    }

    private UserpollServerSocketChannel(UserpollSocket socket) {
        super(socket, socket.isListening());
        config = new UserpollServerSocketChannelConfig(this, socket, this::clearReadPending);
    }

    @Override
    int backlog() {
        return config.getBacklog();
    }

    @Override
    Channel newChildChannel(int fd, byte[] address) {
        InetSocketAddress remote = NativeInetAddress.address(address, 1, address[0]);
        return new UserpollSocketChannel(this, new UserpollSocket(fd), remote, childLocalAddress());
    }

    /**
     * The local address of every accepted connection when the listener is bound to one address (not a wildcard):
     * theirs is the listener's, so no getsockname per connection; else null (each child asks the kernel).
     */
    private InetSocketAddress childLocalAddress() {
        InetSocketAddress bound = childLocalAddress;
        if (bound == null && !childLocalAddressKnown) {
            SocketAddress local = localAddress0();
            if (local instanceof InetSocketAddress && ((InetSocketAddress) local).getAddress() != null
                    && !((InetSocketAddress) local).getAddress().isAnyLocalAddress()) {
                bound = childLocalAddress = (InetSocketAddress) local;
            }
            childLocalAddressKnown = true;
        }
        return bound;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public UserpollServerSocketChannelConfig config() {
        return config;
    }
}
