package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.io.DatagramCompletion;
import dev.userpoll.transport.io.DatagramIo;
import dev.userpoll.transport.io.Submitter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.net.SocketAddress;

/**
 * What the UDP and the Unix-domain datagram channels share: the datagram I/O through the loop's submitter
 * ({@link DatagramIo}), the read session ({@link DatagramReads}) and the flush ({@link DatagramWrites}), connect and
 * disconnect, and activity as Netty's datagram channels have it (active once bound or connected, or at
 * registration with {@code DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION}). The fd joins the ring source at registration,
 * bound or not: a datagram socket reads once bound and may hit {@code EAGAIN} on any send.
 */
abstract class AbstractUserpollDatagramChannel extends AbstractUserpollChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(true, 16);
    private static final UserpollIoOps ARM_DATAGRAM = UserpollIoOps.arm(Native.EPOLLIN | Native.EPOLLOUT);

    /** Whether addresses are written for an IPv6 socket (v4-mapped IPv4 recipients). */
    private final boolean ipv6;
    private final DatagramWrites writes;
    private DatagramIo io;
    private volatile boolean connected;

    AbstractUserpollDatagramChannel(Socket socket, boolean ipv6, boolean active) {
        super(null, socket, active);
        this.ipv6 = ipv6;
        writes = new DatagramWrites(this);
        io = Submitter.direct().openDatagram(socket, ipv6, null);
        if (active) {
            connected = remoteAddress0() != null;
        }
    }

    @Override
    public abstract UserpollChannelConfig config();

    /** Whether the channel is active once registered, before any bind or connect. */
    abstract boolean activeOnOpen();

    /** {@code MAX_DATAGRAM_PAYLOAD_SIZE}: 0 reads one datagram per buffer. */
    abstract int maxDatagramPayloadSize();

    /** Whether receives ask for control messages (GRO segment size, original destination). */
    abstract boolean wantsControlMessages();

    /** Whether a received packet's recipient is its original destination ({@code IP_RECVORIGDSTADDR}). */
    abstract boolean recipientIsOriginalDestination();

    /** The message a received datagram is fired as. */
    abstract Object newPacket(ByteBuf content, SocketAddress recipient, SocketAddress sender);

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isActive() {
        return socket.isOpen() && (activeOnOpen() && isRegistered() || active);
    }

    @Override
    boolean armOnRegister() {
        return true; // reads may come once bound and writes may hit EAGAIN at any time: the edges must flow
    }

    @Override
    UserpollIoOps armOps() {
        return ARM_DATAGRAM;
    }

    /** Whether the socket is connected to one peer. */
    public boolean isConnected() {
        return connected;
    }

    /** The channel's datagram I/O; the loop's once registered. */
    final DatagramIo io() {
        return io;
    }

    final DatagramWrites writes() {
        return writes;
    }

    @Override
    void registered(UserpollIoHandler handler) {
        io = handler.submitter().openDatagram(socket, ipv6, (DatagramCompletion) unsafe());
    }

    @Override
    void withdrawIo(boolean closing) {
        io.withdraw();
        writes.withdrawn();
        if (!closing) {
            io = Submitter.direct().openDatagram(socket, ipv6, null);
        }
    }

    @Override
    protected AbstractUserpollUnsafe newUnsafe() {
        return new DatagramReads(this);
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        super.doBind(localAddress);
        active = true;
        arm();
    }

    @Override
    boolean connectSocket(SocketAddress remoteAddress) throws IOException {
        boolean done = super.connectSocket(remoteAddress);
        connected = done;
        return done;
    }

    @Override
    protected void doDisconnect() throws Exception {
        socket.disconnect();
        connected = false;
        active = false;
        connectedTo(null);
        invalidateRemoteAddress();
        refreshLocalAddress();
        invalidateLocalAddress();
    }

    @Override
    protected void doClose() throws Exception {
        super.doClose();
        connected = false;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        writes.write(in, continuingFlush || io.answersCompletion());
    }

    /** Netty's ECONNREFUSED on a connected socket is NIO's {@link PortUnreachableException}. */
    IOException translateForConnected(IOException e) {
        if (connected && e instanceof Errors.NativeIoException
                && ((Errors.NativeIoException) e).expectedErr() == Errors.ERROR_ECONNREFUSED_NEGATIVE) {
            PortUnreachableException error = new PortUnreachableException(e.getMessage());
            error.initCause(e);
            return error;
        }
        return e;
    }

    /** Copies {@code buf} into a direct buffer and releases {@code holder} (which owns {@code buf}). */
    final ByteBuf newDirectBuffer(io.netty.util.ReferenceCounted holder, ByteBuf buf) {
        return DirectBuffers.copy(alloc(), holder, buf);
    }

    /** A datagram goes out through one iovec: its bytes must be direct memory with one address. */
    static boolean needsCopy(ByteBuf buf) {
        return !buf.hasMemoryAddress() && (!buf.isDirect() || buf.nioBufferCount() != 1);
    }
}
