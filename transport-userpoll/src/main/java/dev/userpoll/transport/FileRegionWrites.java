package dev.userpoll.transport;

import dev.userpoll.transport.io.SocketIo;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;

/**
 * The file-region write of the stream channels ({@link AbstractUserpollStreamChannel}): {@code sendfile} for a
 * {@link DefaultFileRegion} (from the file to the socket, nothing copied through the heap), else the region's own
 * {@code transferTo} into the socket as a byte channel. Either goes out at once on both submitters: a file region
 * never joins the loop's batch. Stateless (no object per channel): the region counts its own progress.
 * Loop thread only.
 */
final class FileRegionWrites {
    private FileRegionWrites() {
    }

    /**
     * One write of {@code region}, the outbound buffer's current message, through {@code io}: returns what it counts
     * against the write spin (1 when bytes went out, 0 for a region already written, which is removed), or
     * {@link AbstractUserpollStreamChannel#WRITE_STATUS_SNDBUF_FULL} when the socket took nothing.
     */
    static int write(ChannelOutboundBuffer in, FileRegion region, SocketIo io) throws Exception {
        if (region.transferred() >= region.count()) {
            in.remove();
            return 0;
        }
        long flushed = region instanceof DefaultFileRegion ? io.sendFile((DefaultFileRegion) region)
                : region.transferTo(io.byteChannel(), region.transferred());
        if (flushed > 0) {
            in.progress(flushed);
            if (region.transferred() >= region.count()) {
                in.remove();
            }
            return 1;
        }
        return AbstractUserpollStreamChannel.WRITE_STATUS_SNDBUF_FULL;
    }
}
