package dev.userpoll.transport.io;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.unix.IovArray;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * How one channel's socket reads and writes reach the kernel: the seam between a channel and its loop's
 * {@link Submitter} (DESIGN.md 4b). The channel keeps the rules (read sessions, write accounting, edges); this
 * only performs an operation, now or later. An operation performed now returns its result; one that joined the
 * loop's batch returns {@link #QUEUED}, and its result reaches the channel's {@link IoCompletion} once the
 * kernel has run it. Loop thread only.
 */
public interface SocketIo {
    /** The operation joined the loop's batch: its result comes to the channel's {@link IoCompletion}. */
    int QUEUED = Integer.MIN_VALUE;

    /** {@link #withdraw()}: no send was queued. */
    long NO_SEND = Long.MIN_VALUE;
    /** {@link #withdraw()}: the queued send never reached the kernel; its bytes are still to be written. */
    long SEND_UNSENT = Long.MIN_VALUE + 1;
    /** {@link #withdraw()}: the send ran, but how many bytes it took cannot be known any more. */
    long SEND_UNKNOWN = Long.MIN_VALUE + 2;

    /**
     * Receives into {@code buf}'s writable bytes. Returns the bytes read (the writer index moved on), -1 at end of
     * stream, 0 when nothing was there ({@code EAGAIN}), or {@link #QUEUED} (the buffer belongs to the operation
     * until its completion).
     */
    int recv(ByteBuf buf) throws IOException;

    /** Whether a queued recv waits for its completion. */
    boolean isRecvQueued();

    /**
     * Writes the iovecs in {@code iov} (a gathering write). Returns the bytes written, 0 when the socket took
     * nothing ({@code EAGAIN}), or {@link #QUEUED} when {@code mayQueue} and the write joined the batch (the
     * iovecs are copied; the buffers they point at must stay until the completion).
     */
    long writev(IovArray iov, boolean mayQueue) throws IOException;

    /**
     * Whether the caller is answering a completion of this loop's batch: a write made now may join the batch,
     * since the loop goes on to submit it before it runs anything else.
     */
    boolean answersCompletion();

    /** {@code sendfile(2)} of the rest of {@code region}: bytes sent (its transferred count moved on), 0 on EAGAIN. */
    long sendFile(DefaultFileRegion region) throws IOException;

    /** The socket as a byte channel, for the file regions that write themselves ({@code FileRegion.transferTo}). */
    WritableByteChannel byteChannel();

    /**
     * Sends {@code fd} with {@code SCM_RIGHTS} (and one byte of data) over a Unix-domain socket, at once on either
     * submitter: a rare control operation, not worth a batch entry. Returns 1 when sent, 0 on {@code EAGAIN}.
     */
    int sendFd(int fd) throws IOException;

    /**
     * Receives one fd passed with {@code SCM_RIGHTS} over a Unix-domain socket, at once on either submitter.
     * Returns the new fd (non-blocking; the caller owns it), 0 on {@code EAGAIN}, -1 at end of stream.
     */
    int recvFd() throws IOException;

    /**
     * Takes the channel's queued operations back (it closes, shuts its output down or leaves the loop): a queued
     * recv is dropped and its buffer released; nothing is called back. Returns what became of a queued send:
     * {@link #NO_SEND}, {@link #SEND_UNSENT}, {@link #SEND_UNKNOWN}, or the bytes it wrote (0: {@code EAGAIN}).
     */
    long withdraw() throws IOException;
}
