package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.io.SocketIo;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.UncheckedBooleanSupplier;

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
    StreamUnsafe newStreamUnsafe() {
        return new DomainUnsafe();
    }

    /**
     * Passes {@code fd} to the peer ({@code SCM_RIGHTS}), at once whatever the submitter: the bytes flushed before
     * it have left already (a queued send stops the loop until its completion), so the order holds. The caller
     * keeps owning the descriptor.
     */
    @Override
    int writeMessage(ChannelOutboundBuffer in, Object msg) throws Exception {
        if (!(msg instanceof FileDescriptor)) {
            return super.writeMessage(in, msg);
        }
        if (io().sendFd(((FileDescriptor) msg).intValue()) > 0) {
            in.remove();
            return 1;
        }
        return WRITE_STATUS_SNDBUF_FULL;
    }

    /** The stream's reads, or in {@link DomainSocketReadMode#FILE_DESCRIPTORS} mode the fds the peer passes. */
    private final class DomainUnsafe extends StreamUnsafe {
        @Override
        void readSession(ChannelConfig config) {
            if (UserpollDomainSocketChannel.this.config.getReadMode() == DomainSocketReadMode.FILE_DESCRIPTORS) {
                readFileDescriptors(config);
            } else {
                super.readSession(config);
            }
        }

        /**
         * A read session of passed fds ({@code DomainSocketReadMode.FILE_DESCRIPTORS}): each {@code recvmsg} is
         * made at once whatever the submitter (as {@link SocketIo#recvFd()} says), until {@code EAGAIN}, end of
         * stream or the allocator's message limit; the same session rules as bytes, one fd per message.
         */
        private void readFileDescriptors(ChannelConfig config) {
            UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
            try {
                do {
                    int fd = io().recvFd();
                    if (fd <= 0) {
                        edge.readDrained(); // EAGAIN or EOF: this edge is used up
                        boolean endOfStream = fd < 0;
                        if (endOfStream) {
                            readPending = false;
                        }
                        endReadSession(endOfStream, config);
                        return;
                    }
                    allocHandle.lastBytesRead(1); // a message; the allocator counts it as read progress
                    allocHandle.incMessagesRead(1);
                    readPending = false;
                    pipeline().fireChannelRead(new FileDescriptor(fd));
                    if (shouldBreakReading(config)) {
                        endReadSession(false, config);
                        return;
                    }
                } while (allocHandle.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER));
                endReadSession(false, config);
            } catch (Throwable t) {
                readFailed(null, t, config);
            }
        }
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
