package dev.userpoll.transport;

import dev.userpoll.transport.io.DatagramCompletion;
import dev.userpoll.transport.io.DatagramIo;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelPipeline;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.UncheckedBooleanSupplier;
import io.netty.util.internal.RecyclableArrayList;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * The read side of the datagram channels ({@link AbstractUserpollDatagramChannel}) on edge-triggered readiness, and the one entry point for the
 * results of its queued operations. A read session receives until {@code EAGAIN}, the allocator's
 * {@code maxMessagesPerRead}, or a receive that joins the batch and whose completion carries the session on. One
 * receive takes one datagram into a buffer, or, with {@code MAX_DATAGRAM_PAYLOAD_SIZE}, several into one buffer
 * split in segments ({@code recvmmsg}); a {@code UDP_GRO} read is split back into its datagrams. Every datagram of
 * one receive is described before any is fired: a handler may send, which reuses the loop's message headers.
 */
final class DatagramReads extends AbstractUserpollChannel.AbstractUserpollUnsafe implements DatagramCompletion {
    private final AbstractUserpollDatagramChannel ch;

    DatagramReads(AbstractUserpollDatagramChannel ch) {
        ch.super();
        this.ch = ch;
    }

    @Override
    boolean hangsUp() {
        return false;
    }

    @Override
    void readReady() {
        ChannelConfig config = ch.config();
        if (!ch.isOpen() || ch.io().isRecvQueued()) {
            return; // closed, or a session is under way and its queued receive carries it on
        }
        recvBufAllocHandle().reset(config);
        readOn(config);
    }

    /** Receives until the session ends here, or a receive joins the batch and its completion carries it on. */
    private void readOn(ChannelConfig config) {
        UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
        ByteBuf buf = null;
        try {
            do {
                buf = allocHandle.allocate(config.getAllocator());
                int writable = buf.writableBytes();
                int datagramSize = ch.maxDatagramPayloadSize();
                int count = datagramSize == 0 ? 1 : Math.min(writable / datagramSize, DatagramIo.MAX_BATCH);
                int segment = datagramSize;
                if (count <= 1) {
                    count = 1;
                    segment = writable;
                }
                allocHandle.attemptedBytesRead(segment * count);
                boolean control = ch.wantsControlMessages();
                int res = ch.io().recv(buf, segment, count, control);
                if (res == DatagramIo.QUEUED) {
                    return;
                }
                ByteBuf received = buf;
                buf = null;
                if (!received(received, res, segment, config)) {
                    return;
                }
            } while (true);
        } catch (Throwable t) {
            readFailed(buf, t, config);
        }
    }

    /**
     * One receive's result, whichever way it reached the kernel: {@code count} datagrams in {@code buf}, in segments
     * of {@code segment} bytes. Returns whether the session reads on; when it does not, the session has ended.
     */
    private boolean received(ByteBuf buf, int count, int segment, ChannelConfig config) {
        UserpollRecvByteAllocatorHandle allocHandle = recvBufAllocHandle();
        if (count == 0) {
            buf.release();
            allocHandle.lastBytesRead(-1);
            ch.edge.readDrained(); // EAGAIN: this edge is used up
            endReadSession(config);
            return false;
        }
        DatagramIo io = ch.io();
        ChannelPipeline pipeline = ch.pipeline();
        SocketAddress local = ch.localAddress();
        boolean origDst = ch.recipientIsOriginalDestination();
        int total = 0;
        if (count == 1 && io.groSegmentSize(0) == 0) {
            int length = io.length(0);
            buf.writerIndex(buf.writerIndex() + length);
            Object packet = ch.newPacket(buf, recipient(io, 0, local, origDst), io.sender(0));
            allocHandle.lastBytesRead(Math.max(1, length)); // an empty datagram is a message, not the end of data
            allocHandle.incMessagesRead(1);
            readPending = false;
            pipeline.fireChannelRead(packet);
        } else {
            RecyclableArrayList packets = RecyclableArrayList.newInstance();
            try {
                int base = buf.writerIndex();
                for (int i = 0; i < count; i++) {
                    int length = io.length(i);
                    total += length;
                    ByteBuf content = buf.retainedSlice(base + i * segment, length);
                    addPackets(packets, content, io.groSegmentSize(i), recipient(io, i, local, origDst),
                            io.sender(i));
                }
            } catch (Throwable t) {
                for (int i = 0; i < packets.size(); i++) {
                    ReferenceCountUtil.release(packets.get(i));
                }
                packets.recycle();
                throw t;
            } finally {
                buf.release(); // each datagram holds its own slice
            }
            allocHandle.lastBytesRead(Math.max(1, total));
            allocHandle.incMessagesRead(packets.size());
            readPending = false;
            for (int i = 0; i < packets.size(); i++) {
                pipeline.fireChannelRead(packets.get(i));
            }
            packets.recycle();
        }
        if (!ch.isOpen()) {
            endReadSession(config); // closed by a handler: the fd may be reused already
            return false;
        }
        if (!allocHandle.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER)) {
            endReadSession(config); // the message limit, or reading switched off: still readable, goes on next pass
            return false;
        }
        return true;
    }

    /** A datagram, or the datagrams a UDP_GRO read coalesced (each {@code segmentSize} bytes, the last maybe less). */
    private void addPackets(RecyclableArrayList out, ByteBuf content, int segmentSize, SocketAddress recipient,
                            SocketAddress sender) {
        if (segmentSize <= 0 || content.readableBytes() <= segmentSize) {
            out.add(ch.newPacket(content, recipient, sender));
            return;
        }
        try {
            while (content.isReadable()) {
                out.add(ch.newPacket(content.readRetainedSlice(Math.min(content.readableBytes(), segmentSize)),
                        recipient, sender));
            }
        } finally {
            content.release();
        }
    }

    private static SocketAddress recipient(DatagramIo io, int i, SocketAddress local, boolean origDst) {
        if (origDst) {
            SocketAddress dst = io.originalDestination(i);
            if (dst != null) {
                return dst;
            }
        }
        return local;
    }

    /** One channelReadComplete per session; a session stopped by the allocator's limit goes on next pass. */
    private void endReadSession(ChannelConfig config) {
        recvBufAllocHandle().readComplete();
        ch.pipeline().fireChannelReadComplete();
        retryIfStillReadable(config);
    }

    private void retryIfStillReadable(ChannelConfig config) {
        if (ch.isOpen() && !shouldStopReading(config) && !ch.io().isRecvQueued()) {
            ch.edge.readStoppedEarly();
        }
    }

    /**
     * A receive failed: the session ends with the error. A datagram socket stays usable (an ICMP error is reported
     * once, by the receive that follows it), so a socket that is still readable reads on next pass.
     */
    private void readFailed(ByteBuf buf, Throwable cause, ChannelConfig config) {
        if (buf != null) {
            buf.release();
        }
        recvBufAllocHandle().readComplete();
        ChannelPipeline pipeline = ch.pipeline();
        pipeline.fireChannelReadComplete();
        pipeline.fireExceptionCaught(cause instanceof IOException
                ? ch.translateForConnected((IOException) cause) : cause);
        retryIfStillReadable(config);
    }

    @Override
    public void recvCompleted(ByteBuf buf, int count, IOException cause) {
        ChannelConfig config = ch.config();
        if (!ch.isOpen()) {
            buf.release();
            return;
        }
        if (cause != null) {
            readFailed(buf, cause, config);
            return;
        }
        try {
            if (received(buf, count, 0, config)) {
                readOn(config);
            }
        } catch (Throwable t) {
            readFailed(null, t, config);
        }
    }

    @Override
    public void sendCompleted(int sent, IOException cause) {
        ch.writes().sendCompleted(sent, cause);
    }
}
