package dev.userpoll.transport;

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
        socket.shutdown(false, true);
    }

    final class StreamUnsafe extends AbstractUserpollUnsafe {
        @Override
        void readReady() {
            ChannelConfig config = config();
            if (shouldBreakReading(config)) {
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

                allocHandle.readComplete();
                pipeline.fireChannelReadComplete();
                if (allDataRead) {
                    shutdownInput(true);
                }
            } catch (Throwable t) {
                handleReadException(pipeline, byteBuf, t, allDataRead, allocHandle);
            } finally {
                if (readReady && isOpen() && !shouldStopReading(config) && !shouldBreakReading(config)) {
                    scheduleRetry(); // stopped before EAGAIN: fairness, not a lost edge
                }
            }
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
