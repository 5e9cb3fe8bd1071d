package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;

import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A listening socket served by a {@link UserpollIoHandler}, TCP or Unix-domain: accept is written once, here. It
 * accepts until EAGAIN on every edge; when the process runs out of fds ({@code EMFILE}/{@code ENFILE}) the pending
 * connections stay in the backlog without a new edge, so it retries on a timer (backing off) until accepting works
 * again.
 */
abstract class AbstractUserpollServerChannel extends AbstractUserpollChannel implements ServerChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);
    private static final long MIN_ACCEPT_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_ACCEPT_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Accepts of one edge after which the listener looks at its backlog before accepting again (see
     * backlogHoldsMore()); a longer burst is accepted on to EAGAIN, which then costs less than the looks.
     */
    private static final int MAX_BACKLOG_LOOKS = 8;

    /** Filled by accept(2): [0] = address length, then the address and port (unused for a domain socket). */
    private final byte[] acceptedAddress = new byte[26];
    private long acceptRetryNanos;
    private boolean acceptRetryScheduled;

    AbstractUserpollServerChannel(Socket socket, boolean active) {
        super(null, socket, active);
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    /** The {@code listen(2)} backlog from the channel's config. */
    abstract int backlog();

    /**
     * The accepted connection on {@code fd}, as a channel whose parent is this one; {@code address} holds what
     * accept(2) reported (length at [0], then address and port) for the inet kinds.
     */
    abstract Channel newChildChannel(int fd, byte[] address) throws Exception;

    @Override
    UserpollIoOps armOps() {
        return UserpollIoOps.ARM_ACCEPT;
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        super.doBind(localAddress);
        listen();
    }

    /** Listens (after bind, or on an inherited fd) and registers with the ring source. */
    final void listen() throws Exception {
        socket.listen(backlog());
        active = true;
        arm(); // listening now: the initial poll reports any connection already queued
    }

    @Override
    protected AbstractUserpollUnsafe newUnsafe() {
        return new ServerUnsafe();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) {
        throw new UnsupportedOperationException();
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        throw new UnsupportedOperationException();
    }

    private void scheduleAcceptRetry() {
        if (acceptRetryScheduled) {
            return;
        }
        acceptRetryScheduled = true;
        acceptRetryNanos = acceptRetryNanos == 0 ? MIN_ACCEPT_RETRY_NANOS
                : Math.min(MAX_ACCEPT_RETRY_NANOS, acceptRetryNanos * 2);
        EventLoop loop = eventLoop();
        loop.schedule(() -> {
            acceptRetryScheduled = false;
            if (isOpen()) {
                edge.assumeReadable(); // the backlog may still hold connections: no new edge will say so
            }
        }, acceptRetryNanos, TimeUnit.NANOSECONDS);
    }

    private static boolean isOutOfFds(Throwable t) {
        if (t instanceof Errors.NativeIoException) {
            int err = -((Errors.NativeIoException) t).expectedErr();
            return err == Native.EMFILE || err == Native.ENFILE || err == Native.ENOBUFS || err == Native.ENOMEM;
        }
        return false;
    }

    final class ServerUnsafe extends AbstractUserpollUnsafe {
        @Override
        void readReady() {
            ChannelConfig config = config();
            RecvByteBufAllocator.Handle allocHandle = recvBufAllocHandle();
            ChannelPipeline pipeline = pipeline();
            allocHandle.reset(config);
            allocHandle.attemptedBytesRead(1);
            Throwable exception = null;
            int accepted = 0;
            try {
                do {
                    if (accepted != 0 && accepted <= MAX_BACKLOG_LOOKS && !backlogHoldsMore()) {
                        edge.readDrained(); // as good as EAGAIN: see backlogHoldsMore()
                        allocHandle.lastBytesRead(-1);
                        break;
                    }
                    int fd = socket.accept(acceptedAddress);
                    if (fd == -1) {
                        edge.readDrained(); // EAGAIN: backlog empty
                        allocHandle.lastBytesRead(-1);
                        break;
                    }
                    accepted++;
                    acceptRetryNanos = 0;
                    allocHandle.lastBytesRead(1);
                    allocHandle.incMessagesRead(1);
                    readPending = false;
                    pipeline.fireChannelRead(newChild(fd));
                } while (allocHandle.continueReading());
            } catch (Throwable t) {
                exception = t;
            }
            allocHandle.readComplete();
            pipeline.fireChannelReadComplete();
            if (exception != null) {
                if (isOutOfFds(exception)) {
                    edge.readDrained();
                    scheduleAcceptRetry();
                }
                pipeline.fireExceptionCaught(exception);
            }
            if (isOpen() && !shouldStopReading(config)) {
                edge.readStoppedEarly(); // stopped at maxMessagesPerRead with connections left
            }
        }

        /**
         * Asked after each of an edge's first accepts: whether the backlog holds another connection ({@code poll(2)}
         * without waiting). An empty backlog means what {@code EAGAIN} means, by the same rule: every connection that
         * joins the backlog after this look wakes the listener, and so is a new edge. The look replaces the accept
         * that would fail with {@code EAGAIN} at the end of every edge, and a failing {@code accept4} costs several
         * times a {@code poll}: the kernel allocates and frees an inode and a file for the connection it did not
         * find. Edges mostly bring one or a few connections (each is reported on its own unless several arrive
         * between two passes); a burst longer than {@link #MAX_BACKLOG_LOOKS} is accepted on to {@code EAGAIN}.
         * An error of the look lets the accept report it; a listener that a handler closed meanwhile stops here (its
         * fd number may already name another file).
         */
        private boolean backlogHoldsMore() {
            return socket.isOpen() && Native.pollIn(socket.intValue()) != 0;
        }

        /** The child channel; the accepted fd is closed if that fails, so nothing leaks. */
        private Channel newChild(int fd) throws Exception {
            try {
                return newChildChannel(fd, acceptedAddress);
            } catch (Throwable t) {
                Native.close(fd);
                throw t;
            }
        }

        @Override
        public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
            promise.setFailure(new UnsupportedOperationException());
        }
    }
}
