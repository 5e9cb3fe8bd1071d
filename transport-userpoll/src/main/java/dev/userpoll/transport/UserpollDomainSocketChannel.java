package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.PeerCredentials;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * A Unix-domain stream channel ({@code AF_UNIX, SOCK_STREAM}) served by a {@link UserpollIoHandler}, on the same
 * stream machinery, edge rules and I/O seam as the TCP channel: bytes go through the loop's submitter (queued in
 * the batch on a batched loop). Addresses are {@link DomainSocketAddress}es, a path in the file system or, with a
 * leading {@code '\0'}, a name in Linux's abstract namespace.
 * <p>File descriptors pass both ways with {@code SCM_RIGHTS}: writing a {@link FileDescriptor} sends it (the
 * writer keeps owning it), and in {@link DomainSocketReadMode#FILE_DESCRIPTORS} mode every read delivers a
 * {@link FileDescriptor} that the reader owns and must close. Passing fds is a direct system call on either
 * submitter; it keeps its order with the bytes around it.
 */
public final class UserpollDomainSocketChannel extends AbstractUserpollStreamChannel implements DomainSocketChannel {
    private final UserpollDomainSocketChannelConfig config;

    /** An unconnected Unix-domain stream socket, to connect. */
    public UserpollDomainSocketChannel() {
        super(null, UserpollSocket.newDomainStream(), false);
        config = new UserpollDomainSocketChannelConfig(this, socket, this::clearReadPending);
    }

    /**
     * A channel on an existing Unix-domain stream socket {@code fd} (inherited, e.g. by systemd socket activation,
     * or one end of a {@code socketpair}), which this channel owns from now on: it is made non-blocking, and a
     * connected socket is active at once with its addresses read back.
     */
    public UserpollDomainSocketChannel(int fd) {
        this(UserpollSocket.inherited(fd));
    }

    private UserpollDomainSocketChannel(UserpollSocket socket) {
        super(null, socket, socket.remoteDomainSocketAddress() != null);
        config = new UserpollDomainSocketChannelConfig(this, socket, this::clearReadPending);
    }

    /** An accepted connection. */
    UserpollDomainSocketChannel(Channel parent, UserpollSocket socket) {
        super(parent, socket, true);
        config = new UserpollDomainSocketChannelConfig(this, socket, this::clearReadPending);
    }

    @Override
    SocketAddress readLocalAddress() {
        return socket.localDomainSocketAddress();
    }

    @Override
    SocketAddress readRemoteAddress() {
        return socket.remoteDomainSocketAddress();
    }

    @Override
    boolean shortReadDrains() {
        return false; // a read stops at a message that carried fds (or credentials) with more queued behind it
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        return msg instanceof FileDescriptor ? msg : super.filterOutboundMessage(msg);
    }

    @Override
    boolean readsFileDescriptors() {
        return config.getReadMode() == DomainSocketReadMode.FILE_DESCRIPTORS;
    }

    /**
     * The credentials ({@code SO_PEERCRED}: pid, uid, gid) of the peer process, as of when the connection was made.
     *
     * @throws IOException when the kernel refuses (the channel is closed, for one)
     */
    public PeerCredentials peerCredentials() throws IOException {
        int[] cred = new int[3];
        int res = Native.peerCredentials(socket.intValue(), cred);
        if (res < 0) {
            throw Errors.newIOException("getsockopt(SO_PEERCRED)", res);
        }
        return (PeerCredentials) Native.newPeerCredentials(cred[0], cred[1], cred[2]);
    }

    @Override
    public DomainSocketAddress remoteAddress() {
        return (DomainSocketAddress) super.remoteAddress();
    }

    @Override
    public DomainSocketAddress localAddress() {
        return (DomainSocketAddress) super.localAddress();
    }

    @Override
    public UserpollDomainSocketChannelConfig config() {
        return config;
    }

    @Override
    public UserpollServerDomainSocketChannel parent() {
        return (UserpollServerDomainSocketChannel) super.parent();
    }
}
