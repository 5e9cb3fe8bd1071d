package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.ServerDomainSocketChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.File;
import java.net.SocketAddress;

/**
 * A listening Unix-domain stream socket served by a {@link UserpollIoHandler}; accepted connections are
 * {@link UserpollDomainSocketChannel}s. Binding a path replaces a socket file left there (as Netty's native
 * transports do); closing the channel deletes the file it bound. A path starting with {@code '\0'} is a name in
 * Linux's abstract namespace: no file is made or deleted.
 */
public final class UserpollServerDomainSocketChannel extends AbstractUserpollServerChannel
        implements ServerDomainSocketChannel {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(
            UserpollServerDomainSocketChannel.class);

    private final UserpollServerDomainSocketChannelConfig config;
    /** The address bound by this channel: reported as given (the kernel reports an abstract name as ""). */
    private volatile DomainSocketAddress bound;

    /** An unbound Unix-domain stream socket, to bind and listen. */
    public UserpollServerDomainSocketChannel() {
        this(UserpollSocket.newDomainStream(), false);
    }

    /**
     * A channel on an existing Unix-domain stream socket {@code fd} (inherited, e.g. by systemd socket
     * activation), which this channel owns from now on: it is made non-blocking; a socket already listening is
     * active at once and accepts as soon as it is registered. Its socket file is not deleted on close: this
     * channel did not make it.
     */
    public UserpollServerDomainSocketChannel(int fd) {
        this(UserpollSocket.inherited(fd));
    }

    private UserpollServerDomainSocketChannel(UserpollSocket socket) {
        this(socket, socket.isListening());
    }

    private UserpollServerDomainSocketChannel(UserpollSocket socket, boolean active) {
        super(socket, active);
        config = new UserpollServerDomainSocketChannelConfig(this, socket, this::clearReadPending);
    }

    @Override
    int backlog() {
        return config.getBacklog();
    }

    @Override
    Channel newChildChannel(int fd, byte[] address) {
        return new UserpollDomainSocketChannel(this, new UserpollSocket(fd));
    }

    @Override
    SocketAddress readLocalAddress() {
        DomainSocketAddress address = bound; // null while the superclass constructor runs
        return address != null ? address : socket.localDomainSocketAddress();
    }

    @Override
    SocketAddress readRemoteAddress() {
        return null;
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (!(localAddress instanceof DomainSocketAddress)) {
            throw new IllegalArgumentException("a Unix-domain server binds a DomainSocketAddress, not " + localAddress);
        }
        bound = (DomainSocketAddress) localAddress;
        try {
            super.doBind(localAddress);
        } catch (Throwable t) {
            bound = null; // not ours: close must not delete a file of that name
            throw t;
        }
    }

    @Override
    protected void doClose() throws Exception {
        try {
            super.doClose();
        } finally {
            DomainSocketAddress address = bound;
            if (address != null && !isAbstract(address) && !new File(address.path()).delete()
                    && logger.isDebugEnabled()) {
                logger.debug("could not delete the domain socket file {}", address.path());
            }
        }
    }

    private static boolean isAbstract(DomainSocketAddress address) {
        return !address.path().isEmpty() && address.path().charAt(0) == '\0';
    }

    @Override
    public DomainSocketAddress remoteAddress() {
        return null;
    }

    @Override
    public DomainSocketAddress localAddress() {
        return (DomainSocketAddress) super.localAddress();
    }

    @Override
    public UserpollServerDomainSocketChannelConfig config() {
        return config;
    }
}
