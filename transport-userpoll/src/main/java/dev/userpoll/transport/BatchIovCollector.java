package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.ring.IoUringSocketBatch;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelOutboundBuffer;

import java.nio.ByteBuffer;

/**
 * Turns a channel's flushed buffers into the iovecs of one batched sendmsg, with the limits Netty's
 * {@code IovArray} applies to a gathering write: at least one iovec, then no more than the channel's
 * {@code maxBytesPerGatheringWrite}. One per loop, reused by every channel in turn (loop thread only).
 */
final class BatchIovCollector implements ChannelOutboundBuffer.MessageProcessor {
    private final IoUringSocketBatch batch;
    private long maxBytes;

    BatchIovCollector(IoUringSocketBatch batch) {
        this.batch = batch;
    }

    /** Starts the iovecs of the next sendmsg, at most {@code maxBytes} after the first. */
    BatchIovCollector start(long maxBytes) {
        batch.discardIov();
        this.maxBytes = maxBytes;
        return this;
    }

    @Override
    public boolean processMessage(Object msg) {
        if (!(msg instanceof ByteBuf)) {
            return false; // a file region ends the gathering write, as in IovArray
        }
        ByteBuf buf = (ByteBuf) msg;
        int length = buf.readableBytes();
        if (length == 0) {
            return true;
        }
        if (buf.hasMemoryAddress()) {
            return add(buf.memoryAddress() + buf.readerIndex(), length);
        }
        // A composite (or a direct buffer without an address): every part is direct, filterOutboundMessage saw to it.
        for (ByteBuffer part : buf.nioBuffers(buf.readerIndex(), length)) {
            int remaining = part.remaining();
            if (remaining != 0 && !add(Native.bufferAddress(part) + part.position(), remaining)) {
                return false;
            }
        }
        return true;
    }

    private boolean add(long address, int length) {
        if (batch.iovCount() > 0 && batch.iovBytes() + length > maxBytes) {
            return false;
        }
        return batch.addIov(address, length);
    }
}
