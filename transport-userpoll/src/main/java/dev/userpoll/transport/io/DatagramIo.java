package dev.userpoll.transport.io;

import io.netty.buffer.ByteBuf;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * How one datagram channel's sends and receives reach the kernel: the datagram side of the seam between a channel
 * and its loop's {@link Submitter} (DESIGN.md 4b), as {@link SocketIo} is for streams. The channel keeps the rules
 * (read sessions, write accounting, edges); this performs an operation at once ({@code recvmmsg}/{@code sendmmsg},
 * or {@code recvmsg}/{@code sendmsg} for one datagram) or queues it in the loop's batch ({@link #QUEUED}), and the
 * result of a queued one reaches the channel's {@link DatagramCompletion}. Received datagrams are described by
 * {@link #length}, {@link #sender} and the rest, valid until the next receive. Loop thread only.
 */
public interface DatagramIo {
    /** The operation joined the loop's batch: its result comes to the channel's {@link DatagramCompletion}. */
    int QUEUED = Integer.MIN_VALUE;
    /** Datagrams one receive or send call moves at most. */
    int MAX_BATCH = DatagramArena.DIRECT_SLOTS;

    /**
     * Receives up to {@code count} datagrams into consecutive segments of {@code segmentSize} bytes of {@code buf},
     * from its writer index (which does not move). {@code control}: ask for control messages (GRO segment size,
     * original destination). Returns how many arrived, 0 when none was there ({@code EAGAIN}), or {@link #QUEUED}
     * (one datagram; the buffer belongs to the operation until its completion).
     */
    int recv(ByteBuf buf, int segmentSize, int count, boolean control) throws IOException;

    /** Whether a queued receive waits for its completion. */
    boolean isRecvQueued();

    /** Bytes of received datagram {@code i}. */
    int length(int i);

    /** Whether received datagram {@code i} was longer than its segment and cut. */
    boolean truncated(int i);

    /** The sender of received datagram {@code i}; the empty path for an unnamed Unix-domain socket. */
    SocketAddress sender(int i);

    /** The GRO segment size of received datagram {@code i}; 0 when it is a single datagram. */
    int groSegmentSize(int i);

    /** The original destination ({@code IP_ORIGDSTADDR}) of received datagram {@code i}, or {@code null}. */
    InetSocketAddress originalDestination(int i);

    /**
     * Sends one datagram of {@code content}'s readable bytes to {@code recipient} ({@code null}: the connected
     * peer), in segments of {@code segmentSize} when positive (GSO). Returns 1 when sent, 0 on {@code EAGAIN}, or
     * {@link #QUEUED} when {@code mayQueue} and it joined the batch ({@code content} must stay until the completion).
     */
    int sendOne(ByteBuf content, SocketAddress recipient, int segmentSize, boolean mayQueue) throws IOException;

    /** Adds datagram {@code i} (from 0, below {@link #MAX_BATCH}) to the next {@link #sendBatch}. */
    void prepareSend(int i, ByteBuf content, SocketAddress recipient, int segmentSize);

    /**
     * Sends prepared datagrams {@code 0..count-1} at once; returns how many went (from the first), 0 on
     * {@code EAGAIN}; the first one's error is thrown.
     */
    int sendBatch(int count) throws IOException;

    /** Whether a queued send waits for its completion. */
    boolean isSendQueued();

    /** Whether the caller answers a completion of this loop's batch (a send made now may join it). */
    boolean answersCompletion();

    /** Takes queued operations back (close, deregistration): nothing is called back; a queued receive's buffer is released. */
    void withdraw();
}
