package dev.userpoll.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.unix.PreferredDirectByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The channel's allocator handle: always direct buffers (recv writes straight into them), and once
 * the peer has shut its output down, reading continues until EOF whatever the read sizes say.
 */
final class UserpollRecvByteAllocatorHandle extends RecvByteBufAllocator.DelegatingHandle
        implements RecvByteBufAllocator.ExtendedHandle {
    private final PreferredDirectByteBufAllocator directAllocator = new PreferredDirectByteBufAllocator();
    private final AbstractUserpollChannel channel;
    private final UncheckedBooleanSupplier maybeMoreData = this::maybeMoreDataToRead;

    UserpollRecvByteAllocatorHandle(RecvByteBufAllocator.ExtendedHandle delegate, AbstractUserpollChannel channel) {
        super(delegate);
        this.channel = channel;
    }

    /**
     * A full read may have left more behind; a short stream read drained the socket, where the channel's socket
     * kind says so (TCP). A Unix-domain read also stops short at a message that carried fds or credentials, with
     * more queued behind it, so there only {@code EAGAIN} (or end of stream) says the socket is drained.
     */
    boolean maybeMoreDataToRead() {
        return channel.shortReadDrains() ? lastBytesRead() == attemptedBytesRead() : lastBytesRead() > 0;
    }

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
        directAllocator.updateAllocator(alloc);
        return delegate().allocate(directAllocator);
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
        return channel.edge.isPeerClosed()
                || ((RecvByteBufAllocator.ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
    }

    @Override
    public boolean continueReading() {
        return continueReading(maybeMoreData);
    }
}
