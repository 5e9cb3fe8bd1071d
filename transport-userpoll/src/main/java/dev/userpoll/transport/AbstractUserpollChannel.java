package dev.userpoll.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannelConfig;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.NotYetConnectedException;


/**
 * Base of the transport's channels, written for edge-triggered readiness (DESIGN.md section 4): the
 * fd is registered once; an edge means "ready until the next EAGAIN", so the channel remembers that
 * it is readable or writable in user space and, when it stops early, asks the loop to serve it again
 * from the ready list instead of asking the kernel.
 */
abstract class AbstractUserpollChannel extends AbstractChannel implements UnixChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    final Socket socket;
    volatile boolean active;
    private volatile SocketAddress local;
    private volatile SocketAddress remote;

    /** What the loop handed back (Netty wraps the handler's registration); ops go through submit(). */
    private IoRegistration registration;
    /** Whether the fd has been handed to the ring source. Loop thread only. */
    private boolean armed;
    /**
     * The connect in progress, if any, with its promise and timeout; made by the first connect (an accepted
     * connection, the many a server holds, never has one). Loop thread only.
     */
    private ConnectAttempt connectAttempt;

    /** The socket's readiness between edges (DESIGN.md section 4). Loop thread only. */
    final EdgeState edge = new EdgeState(this);
    /**
     * The loop itself goes on with a flush (an OUT edge, a retry, a completed send): no handler code runs before
     * the loop submits, so the write may join the batch. Loop thread only.
     */
    boolean continuingFlush;

    AbstractUserpollChannel(Channel parent, Socket socket, boolean active) {
        super(parent);
        this.socket = socket;
        this.active = active;
        if (active) {
            local = readLocalAddress();
            remote = readRemoteAddress();
        }
    }

    /** An accepted connection; {@code local}: its local address when the listener knows it, else null (asked). */
    AbstractUserpollChannel(Channel parent, Socket socket, SocketAddress remote, SocketAddress local) {
        super(parent);
        this.socket = socket;
        this.active = true;
        this.remote = remote;
        this.local = local != null ? local : readLocalAddress();
    }

    /**
     * The socket's local address as the kernel has it ({@code getsockname}); a Unix-domain channel reads a
     * {@link io.netty.channel.unix.DomainSocketAddress}. Called from the constructor: overrides use no field of
     * their own class.
     */
    SocketAddress readLocalAddress() {
        return socket.localAddress();
    }

    /**
     * Whether a stream read that fills less than it asked for means the socket is drained (man 7 epoll): true for
     * TCP; a Unix-domain read stops short at every message boundary that carries fds, so it reads to EAGAIN.
     */
    boolean shortReadDrains() {
        return true;
    }

    /** The socket's remote address as the kernel has it ({@code getpeername}); see {@link #readLocalAddress()}. */
    SocketAddress readRemoteAddress() {
        return socket.remoteAddress();
    }

    @Override
    public final FileDescriptor fd() {
        return socket;
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public abstract ChannelConfig config();

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return loop instanceof IoEventLoop && ((IoEventLoop) loop).isCompatible(AbstractUserpollUnsafe.class);
    }

    /** The handler of the loop this channel is registered with. */
    final UserpollIoHandler loopHandler() {
        return (UserpollIoHandler) registration.attachment();
    }

    /** The loop registration; null before registration. */
    IoRegistration registration() {
        return registration;
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        ((IoEventLoop) eventLoop()).register((AbstractUserpollUnsafe) unsafe()).addListener(f -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
                return;
            }
            IoRegistration reg = (IoRegistration) f.getNow();
            registration = reg;
            registered((UserpollIoHandler) reg.attachment());
            if (armOnRegister()) {
                try {
                    arm();
                } catch (Throwable t) {
                    // The ring source refused the fd (ENOSPC from a full userpoll item table, a refused poll
                    // arm). Failing the promise makes Netty close the channel, but Netty treats the channel as
                    // never registered and so never deregisters it: give the loop slot back here.
                    withdrawIo(false);
                    registration = null;
                    reg.cancel();
                    promise.setFailure(t instanceof UncheckedIOException ? t.getCause() : t);
                    return;
                }
            }
            promise.setSuccess();
        });
    }

    /** Registers the fd with the ring source (once); called when the channel becomes active or connects. */
    final void arm() {
        IoRegistration reg = registration;
        if (reg != null && !armed && socket.isOpen()) {
            reg.submit(armOps());
            armed = true;
        }
    }

    /** Whether the fd joins the ring source at registration: when active (a stream connects later, then arms). */
    boolean armOnRegister() {
        return isActive();
    }

    UserpollIoOps armOps() {
        return UserpollIoOps.ARM_STREAM;
    }

    /** The channel joined {@code handler}'s loop: a channel with socket I/O takes it from the loop's submitter. */
    void registered(UserpollIoHandler handler) {
    }

    /**
     * Takes back the operations this channel has queued in its loop's batch, before its fd closes
     * ({@code closing}: bytes already flushed are written first) or it leaves the loop. Loop thread only.
     */
    void withdrawIo(boolean closing) {
    }

    /** Whether a connect is under way (started, neither done nor failed). Loop thread only. */
    final boolean isConnectPending() {
        ConnectAttempt attempt = connectAttempt;
        return attempt != null && attempt.isPending();
    }

    /** The OUT edge of a pending connect ({@link #isConnectPending()}): it completes or fails. Loop thread only. */
    final void finishConnect() {
        connectAttempt.finish();
    }

    /** Asks the loop to serve this channel again next pass, without a kernel event. */
    final void scheduleRetry() {
        IoRegistration reg = registration;
        if (reg != null) {
            reg.submit(UserpollIoOps.READY);
        }
    }

    @Override
    protected void doDeregister() throws Exception {
        IoRegistration reg = registration;
        if (reg != null) {
            withdrawIo(false);
            registration = null;
            armed = false;
            reg.cancel();
        }
    }

    @Override
    protected void doDisconnect() throws Exception {
        doClose();
    }

    @Override
    protected void doClose() throws Exception {
        active = false;
        // Take the fd out of the ring before closing it: its number may be reused at once, and an armed
        // io_uring poll would keep the socket open.
        IoRegistration reg = registration;
        if (reg != null && eventLoop().inEventLoop()) {
            // Queued batched I/O becomes NOPs: nothing may reach this fd number once it is closed.
            withdrawIo(true);
            if (armed) {
                reg.submit(UserpollIoOps.DISARM);
                armed = false;
            }
        }
        try {
            if (connectAttempt != null) {
                connectAttempt.channelClosed();
            }
        } finally {
            socket.close();
        }
    }

    @Override
    protected void doBeginRead() throws Exception {
        AbstractUserpollUnsafe unsafe = (AbstractUserpollUnsafe) unsafe();
        unsafe.readPending = true;
        edge.readRequested(); // an edge that arrived while reading was off is still owed
    }

    /** Called by the config when autoRead is turned off. */
    final void clearReadPending() {
        if (isRegistered()) {
            EventLoop loop = eventLoop();
            if (loop.inEventLoop()) {
                ((AbstractUserpollUnsafe) unsafe()).readPending = false;
            } else {
                loop.execute(() -> ((AbstractUserpollUnsafe) unsafe()).readPending = false);
            }
        } else {
            ((AbstractUserpollUnsafe) unsafe()).readPending = false;
        }
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (localAddress instanceof InetSocketAddress) {
            ConnectAttempt.checkResolvable((InetSocketAddress) localAddress);
        }
        socket.bind(localAddress);
        refreshLocalAddress();
    }

    /** connect(2), for {@link ConnectAttempt}; TCP Fast Open and friends override. */
    boolean connectSocket(SocketAddress remoteAddress) throws IOException {
        return socket.connect(remoteAddress);
    }

    /** The connect completed: {@code remoteAddress} is what {@link #remoteAddress()} reports from now on. */
    final void connectedTo(SocketAddress remoteAddress) {
        remote = remoteAddress;
    }

    /** After bind or connect: the local address is the one the kernel chose. */
    final void refreshLocalAddress() {
        local = readLocalAddress();
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    /** Copies a heap buffer into a direct one, so the kernel can read it without another copy per write. */
    final ByteBuf newDirectBuffer(ByteBuf buf) {
        return DirectBuffers.copy(alloc(), buf, buf);
    }

    /** The IoHandle: what the loop calls with every edge (or a ready-list retry) for this channel. */
    abstract class AbstractUserpollUnsafe extends AbstractUnsafe implements UserpollIoHandle {
        boolean readPending;

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void close() {
            close(voidPromise());
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            ReadinessDispatch.handle(AbstractUserpollChannel.this, this, ((UserpollIoEvent) event).events());
        }

        /**
         * Whether RDHUP, HUP and ERR mean the peer closed its side (a stream): then the input is read to its end
         * whatever the read interest. A datagram socket's ERR is a one-off error (an ICMP report) that the next
         * receive or send returns, so there they are a plain read edge.
         */
        boolean hangsUp() {
            return true;
        }

        final void forceFlush() {
            if (isFlushPending()) {
                continuingFlush = true;
                try {
                    super.flush0();
                } finally {
                    continuingFlush = false;
                }
            }
        }

        /** Whether a flush is waiting; a handle without an outbound buffer has none. */
        private boolean isFlushPending() {
            ChannelOutboundBuffer out = outboundBuffer();
            return out != null && !out.isEmpty();
        }

        @Override
        protected final void flush0() {
            // Writable or not, we never ask the kernel: wait for the OUT edge when the last write saw EAGAIN.
            if (edge.isWritable()) {
                super.flush0();
            }
        }

        /** Reads until EAGAIN, EOF or the allocator's limit; a channel stopped by the limit retries next pass. */
        abstract void readReady();

        final boolean shouldStopReading(ChannelConfig config) {
            return !readPending && !config.isAutoRead();
        }

        /** The peer's output is closed and every byte before it was read. */
        final void shutdownInput(boolean allDataRead) {
            if (!socket.isInputShutdown()) {
                if (isAllowHalfClosure(config())) {
                    try {
                        socket.shutdown(true, false);
                    } catch (IOException ignored) {
                        // The input is effectively closed already.
                        pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                        close(voidPromise());
                        return;
                    } catch (NotYetConnectedException ignore) {
                        // same
                    }
                    pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                } else {
                    close(voidPromise());
                    return;
                }
            }
            if (allDataRead && !edge.isInputEnded()) {
                edge.inputEnded();
                pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
            }
        }

        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            if (!promise.isDone() && ensureOpen(promise)) {
                if (connectAttempt == null) {
                    connectAttempt = new ConnectAttempt(AbstractUserpollChannel.this);
                }
                connectAttempt.start(remoteAddress, localAddress, promise);
            }
        }

        /** Netty's {@code annotateConnectException} (the address in the message), for {@link ConnectAttempt}. */
        final Throwable annotateConnectFailure(Throwable cause, SocketAddress remoteAddress) {
            return annotateConnectException(cause, remoteAddress);
        }

        /** Netty's {@code closeIfClosed}, for {@link ConnectAttempt}: once a failed connect closed the fd. */
        final void closeIfSocketClosed() {
            closeIfClosed();
        }

        private UserpollRecvByteAllocatorHandle allocHandle;

        @Override
        public UserpollRecvByteAllocatorHandle recvBufAllocHandle() {
            if (allocHandle == null) {
                allocHandle = new UserpollRecvByteAllocatorHandle(
                        (RecvByteBufAllocator.ExtendedHandle) super.recvBufAllocHandle(),
                        AbstractUserpollChannel.this);
            }
            return allocHandle;
        }
    }

    static boolean isAllowHalfClosure(ChannelConfig config) {
        return config instanceof DuplexChannelConfig && ((DuplexChannelConfig) config).isAllowHalfClosure();
    }
}
