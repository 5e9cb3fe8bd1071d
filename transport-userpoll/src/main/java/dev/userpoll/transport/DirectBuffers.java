package dev.userpoll.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;

/** Copies of heap buffers in direct memory: the kernel reads only direct memory, so a write would copy anyway. */
final class DirectBuffers {
    private DirectBuffers() {
    }

    /**
     * A direct copy of {@code buf}'s readable bytes; {@code holder} (the message {@code buf} belongs to, or
     * {@code buf} itself) is released, since the copy replaces it in the outbound buffer.
     */
    static ByteBuf copy(ByteBufAllocator alloc, Object holder, ByteBuf buf) {
        int readableBytes = buf.readableBytes();
        if (readableBytes == 0) {
            ReferenceCountUtil.release(holder);
            return Unpooled.EMPTY_BUFFER;
        }
        // A pooled copy, else the thread-local one (cheaper than an unpooled allocation per write), else a fresh one.
        ByteBuf directBuf = alloc.isDirectBufferPooled() ? null : ByteBufUtil.threadLocalDirectBuffer();
        if (directBuf == null) {
            directBuf = alloc.directBuffer(readableBytes);
        }
        directBuf.writeBytes(buf, buf.readerIndex(), readableBytes);
        ReferenceCountUtil.safeRelease(holder);
        return directBuf;
    }
}
