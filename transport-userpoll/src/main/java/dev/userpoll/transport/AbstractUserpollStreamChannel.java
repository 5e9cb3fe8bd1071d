package dev.userpoll.transport;

import dev.userpoll.transport.io.IoCompletion;
import dev.userpoll.transport.io.SocketIo;
import dev.userpoll.transport.io.Submitter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannelUtil;
import io.netty.util.internal.StringUtil;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * A stream channel on edge-triggered readiness (DESIGN.md section 4): a read session reads until EAGAIN, EOF,
 * a short read or {@code maxMessagesPerRead}; a flush writes (gathering, or a file region through
 * {@link FileRegionWrites}) until done or EAGAIN, then waits for the OUT edge. The rules are written once,
 * here; the reads and writes themselves go through the loop's {@link SocketIo}, which performs them at once or
 * queues them in the loop's batch and hands their results back to {@link StreamUnsafe}'s {@link IoCompletion}.
 */
abstract class AbstractUserpollStreamChannel extends AbstractUserpollChannel implements DuplexChannel {
    private static final String EXPECTED_TYPES = " (expected: " + StringUtil.simpleClassName(ByteBuf.class) + ", "
            + StringUtil.simpleClassName(DefaultFileRegion.class) + ')';
    /** A write queued in the loop's batch: the flush stops, the completion goes on. */
    private static final int WRITE_STATUS_QUEUED = -1;
    /**
     * A write that made no progress: the socket buffer is full, the spin ends and the OUT edge goes on. (Netty's
     * ChannelUtils has it, but io.netty.channel.internal is exported to Netty's own modules only.)
     */
    static final int WRITE_STATUS_SNDBUF_FULL = Integer.MAX_VALUE;

    /** This channel's reads and writes: at once until registered, then as the loop's submitter says. */
    private SocketIo io;
    /**
     * The outbound buffer a queued write points into, from queueing until its result is accounted for (Netty
     * detaches the buffer from the channel when it closes or shuts its output down; the result still counts).
     */
    private ChannelOutboundBuffer queuedWriteFrom;
    /**
     * A queued write's bytes are being removed: a promise listener that flushes must not write the rest again
     * (Netty's flush0 guards its own writes the same way; a completion arrives outside it).
     */
    private boolean removingWritten;

    AbstractUserpollStreamChannel(Channel parent, Socket socket, boolean active) {
        super(parent, socket, active);
        io = Submitter.direct().open(this, socket, null);
    }

    AbstractUserpollStreamChannel(Channel parent, Socket socket, SocketAddress remote, SocketAddress local) {
        super(parent, socket, remote, local);
        io = Submitter.direct().open(this, socket, null);
    }

    @Override
    public abstract UserpollStreamChannelConfig config();

    @Override
    protected final AbstractUserpollUnsafe newUnsafe() {
        return newStreamUnsafe();
    }

    /** The unsafe; a domain channel's also reads passed fds (a package-private hook: no public class overrides). */
    StreamUnsafe newStreamUnsafe() {
        return new StreamUnsafe();
    }

    /** This channel's reads and writes, for a subclass's own messages (a domain channel's passed fds). */
    final SocketIo io() {
        return io;
    }

    @Override
    void registered(UserpollIoHandler handler) {
        io = handler.submitter().open(this, socket, (StreamUnsafe) unsafe());
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            ByteBuf buf = (ByteBuf) msg;
            return UnixChannelUtil.isBufferCopyNeededForWrite(buf) ? newDirectBuffer(buf) : msg;
        }
        if (msg instanceof FileRegion) {
            return msg;
        }
        throw new UnsupportedOperationException(
                "unsupported message type: " + StringUtil.simpleClassName(msg) + EXPECTED_TYPES);
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (queuedWriteFrom != null || removingWritten) {
            return; // the queued write's completion writes on
        }
        // Only a write the loop submits before any other code runs may wait in the batch: one the loop continues
        // itself, or a reply to a completion. Others (a task, channelActive, a connect) go out now, so that code
        // which writes and then blocks the loop thread still sees its bytes leave.
        write(in, continuingFlush || io.answersCompletion());
    }

    /** Writes until the buffer is empty, EAGAIN, the spin count or a write that joins the batch. */
    private void write(ChannelOutboundBuffer in, boolean mayQueue) throws Exception {
        int writeSpinCount = config().getWriteSpinCount();
        do {
            Object msg = in.current();
            if (msg == null) {
                return; // all written; still writable
            }
            int status;
            if (msg instanceof ByteBuf) {
                status = writeBuffers(in, mayQueue);
            } else if (msg instanceof FileRegion) {
                status = FileRegionWrites.write(in, (FileRegion) msg, io);
            } else {
                status = writeMessage(in, msg);
            }
            if (status == WRITE_STATUS_QUEUED) {
                return;
            }
            writeSpinCount -= status;
        } while (writeSpinCount > 0);

        if (writeSpinCount == 0) {
            edge.writeStoppedEarly(); // spun out with data left and no EAGAIN seen: still writable
        } else {
            edge.writeBlocked(); // EAGAIN: the OUT edge calls us
        }
    }

    /** One gathering write of the flushed buffers, at most {@code maxBytesPerGatheringWrite} after the first. */
    private int writeBuffers(ChannelOutboundBuffer in, boolean mayQueue) throws Exception {
        // A small write needs no bound, and leaves the bound (and the getsockopt that first reads it) alone.
        long maxBytes = in.totalPendingWriteBytes() <= UserpollStreamChannelConfig.UNBOUNDED_WRITE_BYTES ? -1
                : config().getMaxBytesPerGatheringWrite();
        IovArray iov = loopHandler().cleanIovArray();
        iov.maxBytes(maxBytes < 0 ? Long.MAX_VALUE : maxBytes);
        in.forEachFlushedMessage(iov);
        if (iov.count() == 0) {
            in.removeBytes(0); // only empty buffers were flushed
            return 0;
        }
        long attempted = iov.size();
        long written = io.writev(iov, mayQueue);
        if (written == SocketIo.QUEUED) {
            queuedWriteFrom = in;
            return WRITE_STATUS_QUEUED;
        }
        return written(in, written, attempted, maxBytes);
    }

    /**
     * A gathering write's result, whichever way it reached the kernel: the write accounting. {@code maxBytes}: the
     * bound it was made under, or -1 when it was small enough to need none (the bound then does not adapt).
     */
    private int written(ChannelOutboundBuffer in, long written, long attempted, long maxBytes) {
        if (written <= 0) {
            return WRITE_STATUS_SNDBUF_FULL;
        }
        if (maxBytes >= 0) {
            config().adaptMaxBytesPerGatheringWrite(attempted, written, maxBytes);
        }
        in.removeBytes(written);
        return 1;
    }

    /**
     * Writes a message that is neither a buffer nor a file region, one a subclass's
     * {@link #filterOutboundMessage(Object)} let through (a domain channel's {@code FileDescriptor}): returns what
     * the write counts against the spin, or {@link #WRITE_STATUS_SNDBUF_FULL}.
     */
    int writeMessage(ChannelOutboundBuffer in, Object msg) throws Exception {
        throw new Error("unexpected message in the outbound buffer: " + StringUtil.simpleClassName(msg));
    }

    /** Removes what a queued write sent, guarded against a listener's flush writing the rest twice. */
    private void removeWritten(ChannelOutboundBuffer in, long written, long attempted) {
        removingWritten = true;
        try {
            written(in, written, attempted, attempted <= UserpollStreamChannelConfig.UNBOUNDED_WRITE_BYTES ? -1
                    : config().getMaxBytesPerGatheringWrite());
        } finally {
            removingWritten = false;
        }
    }

    @Override
    void withdrawIo(boolean closing) {
        ChannelOutboundBuffer in = queuedWriteFrom;
        queuedWriteFrom = null;
        long send;
        try {
            send = io.withdraw();
        } catch (IOException e) {
            send = SocketIo.NO_SEND; // the write failed; the close or shutdown fails what is left with it
        }
        if (!closing) {
            io = Submitter.direct().open(this, socket, null); // until the next loop hands out its own
        }
        if (in == null) {
            return;
        }
        if (send > 0) {
            removeWritten(in, send, send); // the bytes went out before the close, shutdown or deregistration
        } else if (send == SocketIo.SEND_UNSENT && closing) {
            // A close or output shutdown must not overtake bytes the direct path would already have written.
            try {
                write(in, false);
            } catch (Throwable ignore) {
                // the channel is closing or shutting its output: what was not written fails with it
            }
        }
    }

    @Override
    public boolean isInputShutdown() {
        return socket.isInputShutdown();
    }

    @Override
    public boolean isOutputShutdown() {
        return socket.isOutputShutdown();
    }

    @Override
    public boolean isShutdown() {
        return socket.isShutdown();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            ((AbstractUnsafe) unsafe()).shutdownOutput(promise);
        } else {
            loop.execute(() -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
        }
        return promise;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        EventLoop loop = eventLoop();
        if (loop.inEventLoop()) {
            shutdownInput0(promise);
        } else {
            loop.execute(() -> shutdownInput0(promise));
        }
        return promise;
    }

    private void shutdownInput0(ChannelPromise promise) {
        try {
            socket.shutdown(true, false);
            promise.setSuccess();
        } catch (Throwable cause) {
            promise.setFailure(cause);
        }
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        return DuplexShutdown.shutdownBoth(this, promise);
    }

    @Override
    protected void doShutdownOutput() throws Exception {
        boolean readQueued = io.isRecvQueued();
        withdrawIo(true); // Netty releases the flushed buffers next: no queued write may still point at them
        socket.shutdown(false, true);
        if (readQueued) {
            edge.readStoppedEarly(); // the input is still open and its queued read was dropped: read again
        }
    }

    /** Reads and writes of a stream socket, and the one entry point for the results of queued ones. */
    class StreamUnsafe extends AbstractUserpollUnsafe implements IoCompletion {
        @Override
        void readReady() {
            ChannelConfig config = config();
            if (shouldBreakReading(config) || io.isRecvQueued()) {
                return; // closed or input shut; or a session is under way and its queued read carries it on
            }
            recvBufAllocHandle().reset(config);
            readSession(config);
        }

        /** A read session, begun: bytes here; a domain channel in FILE_DESCRIPTORS mode reads passed fds instead. */
        void readSession(ChannelConfig config) {
            readOn(config);
        }

        /** Reads until the session ends here, or a read joins the batch and its completion carries the session on. */
        private void readOn(ChannelConfig config) {
            UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
            ByteBuf buf = null;
            try {
                int res;
                do {
                    buf = allocHandle.allocate(config.getAllocator());
                    allocHandle.attemptedBytesRead(buf.writableBytes());
                    res = io.recv(buf);
                    if (res == SocketIo.QUEUED) {
                        return;
                    }
                    ByteBuf read = buf;
                    buf = null;
                    if (!readCompleted(read, res, config)) {
                        return;
                    }
                } while (true);
            } catch (Throwable t) {
                readFailed(buf, t, config);
            }
        }

        /**
         * One read's result, whichever way it reached the kernel: the read-session rules (DESIGN.md section 4).
         * Returns whether the session reads on; when it does not, the session has ended.
         */
        private boolean readCompleted(ByteBuf buf, int res, ChannelConfig config) {
            UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
            allocHandle.lastBytesRead(res);
            if (res <= 0) {
                buf.release();
                edge.readDrained(); // EAGAIN or EOF: this edge is used up
                boolean endOfStream = res < 0;
                if (endOfStream) {
                    readPending = false;
                }
                endReadSession(endOfStream, config);
                return false;
            }
            allocHandle.incMessagesRead(1);
            readPending = false;
            pipeline().fireChannelRead(buf);
            if (shouldBreakReading(config)) {
                endReadSession(false, config); // closed or input shut down by a handler: the fd may be reused already
                return false;
            }
            if (!edge.isPeerClosed() && !allocHandle.maybeMoreDataToRead()) {
                edge.readDrained(); // a short stream read drained the socket (man 7 epoll)
                endReadSession(false, config);
                return false;
            }
            if (!allocHandle.continueReading()) {
                endReadSession(false, config);
                return false;
            }
            return true;
        }

        /** One channelReadComplete per session; a session stopped by the allocator's limit goes on next pass. */
        final void endReadSession(boolean endOfStream, ChannelConfig config) {
            recvBufAllocHandle().readComplete();
            pipeline().fireChannelReadComplete();
            if (endOfStream) {
                shutdownInput(true);
            }
            retryIfStillReadable(config);
        }

        private void retryIfStillReadable(ChannelConfig config) {
            if (isOpen() && !shouldStopReading(config) && !shouldBreakReading(config) && !io.isRecvQueued()) {
                edge.readStoppedEarly();
            }
        }

        final void readFailed(ByteBuf buf, Throwable cause, ChannelConfig config) {
            if (buf != null) {
                buf.release(); // nothing was read into it: the read failed
            }
            recvBufAllocHandle().readComplete();
            ChannelPipeline pipeline = pipeline();
            pipeline.fireChannelReadComplete();
            pipeline.fireExceptionCaught(cause);
            if (cause instanceof IOException || cause instanceof OutOfMemoryError) {
                edge.readDrained();
                shutdownInput(true);
            }
            retryIfStillReadable(config);
        }

        @Override
        public void recvCompleted(ByteBuf buf, int res, IOException cause) {
            ChannelConfig config = config();
            if (shouldBreakReading(config)) {
                buf.release(); // the input was shut since the read was queued
                return;
            }
            if (cause != null) {
                readFailed(buf, cause, config);
                return;
            }
            try {
                if (readCompleted(buf, res, config)) {
                    readOn(config);
                }
            } catch (Throwable t) {
                readFailed(null, t, config);
            }
        }

        @Override
        public void sendCompleted(long written, long attempted, IOException cause) {
            ChannelOutboundBuffer in = queuedWriteFrom;
            queuedWriteFrom = null;
            if (cause != null) {
                handleWriteError(cause); // Netty's write-error path: the flushed writes fail, the channel closes
            } else if (written == 0) {
                edge.writeBlocked(); // EAGAIN: the OUT edge writes on
            } else {
                removeWritten(in, written, attempted);
                forceFlush(); // what was flushed meanwhile, or the rest of a short write
            }
        }

        final boolean shouldBreakReading(ChannelConfig config) {
            return !isOpen() || socket.isInputShutdown() && (edge.isInputEnded() || !isAllowHalfClosure(config));
        }
    }
}
