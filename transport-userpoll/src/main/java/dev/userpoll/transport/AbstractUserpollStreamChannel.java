package dev.userpoll.transport;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoop;
import io.netty.channel.FileRegion;
import io.netty.channel.internal.ChannelUtils;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannelUtil;
import io.netty.util.internal.StringUtil;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A stream channel on edge-triggered readiness: reads until EAGAIN, EOF or a short read; writes
 * (gathering, or sendfile for {@link DefaultFileRegion}) until done or EAGAIN, then waits for the OUT
 * edge. A pass that stops at {@code maxMessagesPerRead} or {@code writeSpinCount} puts the channel on
 * the loop's ready list.
 */
abstract class AbstractUserpollStreamChannel extends AbstractUserpollChannel implements DuplexChannel {
    private static final String EXPECTED_TYPES = " (expected: " + StringUtil.simpleClassName(ByteBuf.class) + ", "
            + StringUtil.simpleClassName(DefaultFileRegion.class) + ')';
    /** A write that made no progress: the socket buffer is full, wait for the OUT edge. */
    private static final int WRITE_STATUS_SNDBUF_FULL = Integer.MAX_VALUE;

    private WritableByteChannel byteChannel;

    // Batched I/O (DESIGN.md 4b): at most one recv and one sendmsg of this channel in the loop's batch.
    /** The buffer a queued recv fills; owned by the batch until its completion or a cancel. */
    private ByteBuf batchedReadBuf;
    /** Reads of this channel's allocator are not direct with an address: the batch cannot take them. */
    private boolean batchedReadUnsupported;
    private long sendAttempted;
    private long sendMaxBytes;
    /** A failed batched sendmsg, rethrown by the next doWrite so that Netty handles it as any write error. */
    private IOException batchedWriteError;
    /**
     * The outbound buffer a queued sendmsg points into, non-null from queueing until its completion has been
     * accounted for (Netty detaches the buffer from the channel on close, so it is kept here).
     */
    private ChannelOutboundBuffer sendBuffer;
    /** Inside {@link #withdrawBatchedIo}: completions account for what was done and start nothing new. */
    private boolean withdrawingIo;

    AbstractUserpollStreamChannel(Channel parent, Socket socket, boolean active) {
        super(parent, socket, active);
    }

    AbstractUserpollStreamChannel(Channel parent, Socket socket, SocketAddress remote) {
        super(parent, socket, remote);
    }

    @Override
    public abstract UserpollSocketChannelConfig config();

    @Override
    protected AbstractUserpollUnsafe newUnsafe() {
        return new StreamUnsafe();
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
        if (batch != null) {
            IOException error = batchedWriteError;
            if (error != null) {
                batchedWriteError = null;
                throw error;
            }
            if (sendBuffer != null) {
                return; // its completion writes on, or waits for the OUT edge on EAGAIN
            }
            if ((continuingFlush || loopHandler().batchesWritesNow()) && queueBatchedWrite(in)) {
                return;
            }
        }
        doWriteDirect(in);
    }

    /** The direct path: write system calls until done, EAGAIN or the spin count. */
    private void doWriteDirect(ChannelOutboundBuffer in) throws Exception {
        int writeSpinCount = config().getWriteSpinCount();
        do {
            int msgCount = in.size();
            if (msgCount > 1 && in.current() instanceof ByteBuf) {
                writeSpinCount -= doWriteMultiple(in);
            } else if (msgCount == 0) {
                return; // all written; still writable
            } else {
                writeSpinCount -= doWriteSingle(in);
            }
        } while (writeSpinCount > 0);

        if (writeSpinCount == 0) {
            // Spun out with data left and no EAGAIN seen: still writable, so come back next pass.
            scheduleRetry();
        } else {
            writeReady = false; // EAGAIN: the OUT edge will call us
        }
    }

    /**
     * Queues one sendmsg over the flushed buffers into the loop's batch; false when the direct path must
     * write (a file region first, or no room in the batch).
     */
    private boolean queueBatchedWrite(ChannelOutboundBuffer in) {
        for (;;) {
            Object msg = in.current();
            if (msg == null) {
                return true; // nothing flushed
            }
            if (!(msg instanceof ByteBuf)) {
                return false; // file regions keep sendfile(2)
            }
            if (((ByteBuf) msg).isReadable()) {
                break;
            }
            in.remove(); // as the direct path does with an empty buffer
        }
        long maxBytes = config().getMaxBytesPerGatheringWrite();
        IoUringSocketBatch b = batch;
        try {
            in.forEachFlushedMessage(loopHandler().batchIovCollector().start(maxBytes));
        } catch (Exception e) {
            b.discardIov();
            return false;
        }
        long attempted = b.iovBytes();
        if (!b.queueSendmsg(socket.intValue(), (StreamUnsafe) unsafe())) {
            return false;
        }
        sendBuffer = in;
        sendAttempted = attempted;
        sendMaxBytes = maxBytes;
        return true;
    }

    /** The batched sendmsg of this channel completed: account for it exactly as the direct path would. */
    private void batchedWriteCompleted(int res) {
        // The buffer the send was queued from: during a close or output shutdown Netty has already detached it.
        ChannelOutboundBuffer in = sendBuffer;
        if (in == null) {
            return;
        }
        if (res > 0) {
            adjustMaxBytesPerGatheringWrite(sendAttempted, res, sendMaxBytes);
            // Still "queued" while the buffers go: a promise listener that flushes must not send them again.
            in.removeBytes(res);
            sendBuffer = null;
            if (withdrawingIo) {
                return; // the bytes went out before the close or shutdown; nothing more to write
            }
            if (res < sendAttempted) {
                scheduleRetry(); // a short send: as the direct path, try again before waiting for an edge
            } else if (!in.isEmpty()) {
                ((StreamUnsafe) unsafe()).forceFlush(); // flushed while the send was queued: queue the next one
            }
            return;
        }
        sendBuffer = null;
        if (withdrawingIo) {
            return;
        }
        if (res == Errors.ERRNO_EAGAIN_NEGATIVE || res == Errors.ERRNO_EWOULDBLOCK_NEGATIVE) {
            writeReady = false; // the socket buffer is full: the OUT edge calls us
            return;
        }
        try {
            Errors.ioResult("sendmsg", res);
            batchedWriteError = Errors.newIOException("sendmsg", res);
        } catch (IOException e) {
            batchedWriteError = e;
        }
        ((StreamUnsafe) unsafe()).forceFlush(); // doWrite rethrows it inside Netty's flush0
    }

    /**
     * Takes this channel's operations out of the loop's batch: those already completed are accounted for
     * now (bytes sent count as sent; bytes received are dropped, the channel is going away), queued ones
     * never run. A queued send is written now, directly, when {@code writeQueuedSend}: a close or output
     * shutdown must not overtake bytes the direct path would already have handed to the kernel.
     */
    private void withdrawBatchedIo(boolean writeQueuedSend) {
        IoUringSocketBatch b = batch;
        if (b == null || batchedReadBuf == null && sendBuffer == null) {
            return;
        }
        withdrawingIo = true;
        try {
            b.cancel((StreamUnsafe) unsafe());
        } finally {
            withdrawingIo = false;
        }
        ByteBuf buf = batchedReadBuf;
        if (buf != null) {
            batchedReadBuf = null;
            buf.release();
        }
        ChannelOutboundBuffer in = sendBuffer;
        if (in != null) {
            sendBuffer = null;
            if (writeQueuedSend) {
                try {
                    doWriteDirect(in);
                } catch (Throwable ignore) {
                    // the channel is closing or shutting its output: what was not written fails with it
                }
            }
        }
    }

    @Override
    void cancelBatchedIo() {
        withdrawBatchedIo(false); // deregistration: a queued send is still in the outbound buffer
    }

    @Override
    void closeBatchedIo() {
        withdrawBatchedIo(true);
    }

    private int doWriteSingle(ChannelOutboundBuffer in) throws Exception {
        Object msg = in.current();
        if (msg instanceof ByteBuf) {
            return writeBytes(in, (ByteBuf) msg);
        }
        if (msg instanceof DefaultFileRegion) {
            return writeDefaultFileRegion(in, (DefaultFileRegion) msg);
        }
        if (msg instanceof FileRegion) {
            return writeFileRegion(in, (FileRegion) msg);
        }
        throw new Error("unexpected message in the outbound buffer: " + StringUtil.simpleClassName(msg));
    }

    private int writeBytes(ChannelOutboundBuffer in, ByteBuf buf) throws Exception {
        int readableBytes = buf.readableBytes();
        if (readableBytes == 0) {
            in.remove();
            return 0;
        }
        int written;
        if (buf.hasMemoryAddress()) {
            written = socket.sendAddress(buf.memoryAddress(), buf.readerIndex(), buf.writerIndex());
        } else if (buf.nioBufferCount() == 1) {
            ByteBuffer nioBuf = buf.internalNioBuffer(buf.readerIndex(), readableBytes);
            written = socket.send(nioBuf, nioBuf.position(), nioBuf.limit());
        } else {
            return doWriteMultiple(in); // a composite of direct parts: gather them, never merge on the heap
        }
        if (written > 0) {
            in.removeBytes(written);
            return 1;
        }
        return WRITE_STATUS_SNDBUF_FULL;
    }

    private int doWriteMultiple(ChannelOutboundBuffer in) throws Exception {
        long maxBytesPerGatheringWrite = config().getMaxBytesPerGatheringWrite();
        IovArray array = ((UserpollIoHandler) registration().attachment()).cleanIovArray();
        array.maxBytes(maxBytesPerGatheringWrite);
        in.forEachFlushedMessage(array);
        if (array.count() >= 1) {
            long expected = array.size();
            long written = socket.writevAddresses(array.memoryAddress(0), array.count());
            if (written > 0) {
                adjustMaxBytesPerGatheringWrite(expected, written, maxBytesPerGatheringWrite);
                in.removeBytes(written);
                return 1;
            }
            return WRITE_STATUS_SNDBUF_FULL;
        }
        in.removeBytes(0); // only empty buffers were flushed
        return 0;
    }

    /** Grows or shrinks the gathering-write limit towards what the socket takes in one call. */
    private void adjustMaxBytesPerGatheringWrite(long attempted, long written, long oldMax) {
        if (attempted == written) {
            if (attempted << 1 > oldMax) {
                config().setMaxBytesPerGatheringWrite(attempted << 1);
            }
        } else if (attempted > ChannelUtils.MAX_BYTES_PER_GATHERING_WRITE_ATTEMPTED_LOW_THRESHOLD
                && written < attempted >>> 1) {
            config().setMaxBytesPerGatheringWrite(attempted >>> 1);
        }
    }

    private int writeDefaultFileRegion(ChannelOutboundBuffer in, DefaultFileRegion region) throws Exception {
        long offset = region.transferred();
        long regionCount = region.count();
        if (offset >= regionCount) {
            in.remove();
            return 0;
        }
        long flushed = ((UserpollSocket) socket).sendFile(region, region.position(), offset, regionCount - offset);
        if (flushed > 0) {
            in.progress(flushed);
            if (region.transferred() >= regionCount) {
                in.remove();
            }
            return 1;
        }
        return WRITE_STATUS_SNDBUF_FULL;
    }

    private int writeFileRegion(ChannelOutboundBuffer in, FileRegion region) throws Exception {
        if (region.transferred() >= region.count()) {
            in.remove();
            return 0;
        }
        if (byteChannel == null) {
            byteChannel = new SocketByteChannel();
        }
        long flushed = region.transferTo(byteChannel, region.transferred());
        if (flushed > 0) {
            in.progress(flushed);
            if (region.transferred() >= region.count()) {
                in.remove();
            }
            return 1;
        }
        return WRITE_STATUS_SNDBUF_FULL;
    }

    /** What a generic {@link FileRegion} writes into: this channel's socket. */
    private final class SocketByteChannel implements WritableByteChannel {
        @Override
        public int write(ByteBuffer src) throws IOException {
            int position = src.position();
            int written;
            if (src.isDirect()) {
                written = socket.send(src, position, src.limit());
            } else {
                ByteBuf direct = alloc().directBuffer(src.remaining());
                try {
                    direct.writeBytes(src.duplicate());
                    ByteBuffer nio = direct.internalNioBuffer(direct.readerIndex(), direct.readableBytes());
                    written = socket.send(nio, nio.position(), nio.limit());
                } finally {
                    direct.release();
                }
            }
            if (written > 0) {
                src.position(position + written);
            }
            return written;
        }

        @Override
        public boolean isOpen() {
            return socket.isOpen();
        }

        @Override
        public void close() {
            // the channel owns the socket
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
        ChannelFuture outputFuture = shutdownOutput();
        if (outputFuture.isDone()) {
            shutdownOutputDone(outputFuture, promise);
        } else {
            outputFuture.addListener((ChannelFutureListener) f -> shutdownOutputDone(f, promise));
        }
        return promise;
    }

    private void shutdownOutputDone(ChannelFuture outputFuture, ChannelPromise promise) {
        ChannelFuture inputFuture = shutdownInput();
        if (inputFuture.isDone()) {
            shutdownDone(outputFuture, inputFuture, promise);
        } else {
            inputFuture.addListener((ChannelFutureListener) f -> shutdownDone(outputFuture, f, promise));
        }
    }

    private static void shutdownDone(ChannelFuture outputFuture, ChannelFuture inputFuture, ChannelPromise promise) {
        Throwable outputCause = outputFuture.cause();
        Throwable inputCause = inputFuture.cause();
        if (outputCause != null) {
            if (inputCause != null) {
                outputCause.addSuppressed(inputCause);
            }
            promise.setFailure(outputCause);
        } else if (inputCause != null) {
            promise.setFailure(inputCause);
        } else {
            promise.setSuccess();
        }
    }

    @Override
    protected void doShutdownOutput() throws Exception {
        boolean readQueued = batchedReadBuf != null;
        withdrawBatchedIo(true); // Netty releases the flushed buffers next: no queued send may still point at them
        socket.shutdown(false, true);
        if (readQueued) {
            scheduleRetry(); // the input is still open: read again next pass
        }
    }

    final class StreamUnsafe extends AbstractUserpollUnsafe implements IoUringSocketBatch.Completion {
        @Override
        void readReady() {
            ChannelConfig config = config();
            if (shouldBreakReading(config)) {
                return;
            }
            if (batch != null && !batchedReadUnsupported && queueBatchedRead(config)) {
                return;
            }
            UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
            ChannelPipeline pipeline = pipeline();
            ByteBufAllocator allocator = config.getAllocator();
            allocHandle.reset(config);

            ByteBuf byteBuf = null;
            boolean allDataRead = false;
            try {
                do {
                    byteBuf = allocHandle.allocate(allocator);
                    allocHandle.lastBytesRead(doReadBytes(byteBuf));
                    if (allocHandle.lastBytesRead() <= 0) {
                        byteBuf.release();
                        byteBuf = null;
                        readReady = false; // EAGAIN or EOF: this edge is used up
                        allDataRead = allocHandle.lastBytesRead() < 0;
                        if (allDataRead) {
                            readPending = false;
                        }
                        break;
                    }
                    allocHandle.incMessagesRead(1);
                    readPending = false;
                    pipeline.fireChannelRead(byteBuf);
                    byteBuf = null;
                    if (shouldBreakReading(config)) {
                        break; // closed or input shut down by a handler: the fd may be reused already
                    }
                    if (!rdHupReceived && !allocHandle.maybeMoreDataToRead()) {
                        readReady = false; // a short stream read drained the socket (man 7 epoll)
                        break;
                    }
                } while (allocHandle.continueReading());
                endReadSession(allocHandle, pipeline, allDataRead);
            } catch (Throwable t) {
                handleReadException(pipeline, byteBuf, t, allDataRead, allocHandle);
            } finally {
                retryIfStoppedEarly(config);
            }
        }

        private void endReadSession(UserpollRecvByteAllocatorHandle allocHandle, ChannelPipeline pipeline,
                                    boolean allDataRead) {
            allocHandle.readComplete();
            pipeline.fireChannelReadComplete();
            if (allDataRead) {
                shutdownInput(true);
            }
        }

        /** A session stopped by the allocator's limit before EAGAIN: serve it again next pass (fairness). */
        private void retryIfStoppedEarly(ChannelConfig config) {
            if (batchedReadBuf == null && readReady && isOpen() && !shouldStopReading(config)
                    && !shouldBreakReading(config)) {
                scheduleRetry();
            }
        }

        /**
         * Starts a read session in the loop's batch: one recv per batch, the next one queued by its completion
         * while the allocator says go on, so a session reads what the direct loop reads, with one
         * channelReadComplete at its end. False when the direct path must read.
         */
        private boolean queueBatchedRead(ChannelConfig config) {
            if (batchedReadBuf != null) {
                return true; // a session is under way; its completions decide what comes next
            }
            recvBufAllocHandle().reset(config);
            return queueBatchedRecv(config);
        }

        private boolean queueBatchedRecv(ChannelConfig config) {
            UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
            ByteBuf byteBuf = allocHandle.allocate(config.getAllocator());
            if (!byteBuf.hasMemoryAddress()) {
                byteBuf.release();
                batchedReadUnsupported = true; // a heap allocator: the kernel cannot write into it later
                return false;
            }
            int writable = byteBuf.writableBytes();
            allocHandle.attemptedBytesRead(writable);
            if (!batch.queueRecv(socket.intValue(), byteBuf.memoryAddress() + byteBuf.writerIndex(), writable, this)) {
                byteBuf.release();
                return false; // the batch is full
            }
            batchedReadBuf = byteBuf;
            return true;
        }

        /** The batched recv completed: one iteration of the direct read loop; the session ends as that loop does. */
        @Override
        public void recvCompleted(int res) {
            ByteBuf byteBuf = batchedReadBuf;
            batchedReadBuf = null;
            if (byteBuf == null) {
                return;
            }
            ChannelConfig config = config();
            if (withdrawingIo || shouldBreakReading(config)) {
                byteBuf.release(); // closing, or input shut down, since the recv was queued
                return;
            }
            UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
            ChannelPipeline pipeline = pipeline();
            boolean allDataRead = false;
            try {
                int bytes = res > 0 ? res : res == 0 ? -1 : Errors.ioResult("recv", res);
                if (bytes > 0) {
                    byteBuf.writerIndex(byteBuf.writerIndex() + bytes);
                }
                allocHandle.lastBytesRead(bytes);
                if (bytes <= 0) {
                    byteBuf.release();
                    byteBuf = null;
                    readReady = false; // EAGAIN or EOF: this edge is used up
                    allDataRead = bytes < 0;
                    if (allDataRead) {
                        readPending = false;
                    }
                } else {
                    allocHandle.incMessagesRead(1);
                    readPending = false;
                    pipeline.fireChannelRead(byteBuf);
                    byteBuf = null;
                    // Closed or input shut down by a handler: the fd may be reused already, end the session.
                    if (!shouldBreakReading(config)) {
                        if (!rdHupReceived && !allocHandle.maybeMoreDataToRead()) {
                            readReady = false; // a short stream read drained the socket (man 7 epoll)
                        } else if (allocHandle.continueReading() && queueBatchedRecv(config)) {
                            return; // the session goes on in the next batch
                        }
                    }
                }
                endReadSession(allocHandle, pipeline, allDataRead);
            } catch (Throwable t) {
                handleReadException(pipeline, byteBuf, t, allDataRead, allocHandle);
            } finally {
                retryIfStoppedEarly(config); // not while the session goes on in the next batch
            }
        }

        @Override
        public void sendCompleted(int res) {
            batchedWriteCompleted(res);
        }

        private boolean shouldBreakReading(ChannelConfig config) {
            return !isOpen() || socket.isInputShutdown()
                    && (inputClosedSeenErrorOnRead || !isAllowHalfClosure(config));
        }

        private void handleReadException(ChannelPipeline pipeline, ByteBuf byteBuf, Throwable cause,
                                         boolean allDataRead, UserpollRecvByteAllocatorHandle allocHandle) {
            if (byteBuf != null) {
                if (byteBuf.isReadable()) {
                    readPending = false;
                    pipeline.fireChannelRead(byteBuf);
                } else {
                    byteBuf.release();
                }
            }
            allocHandle.readComplete();
            pipeline.fireChannelReadComplete();
            pipeline.fireExceptionCaught(cause);
            if (allDataRead || cause instanceof IOException || cause instanceof OutOfMemoryError) {
                readReady = false;
                shutdownInput(true);
            }
        }
    }
}
