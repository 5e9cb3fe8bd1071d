package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.util.Arrays;

/**
 * The socket I/O of one loop pass, submitted to the kernel in one {@code io_uring_enter}: {@code recv}
 * and {@code sendmsg} with {@code MSG_DONTWAIT} on sockets the ring said are ready. Such an operation
 * completes inline, with data or {@code -EAGAIN} at once, so nothing is armed and nothing stays in flight
 * after {@link #submitAndComplete()} returns: buffers and fds are only ever referenced between a queue
 * call and the end of the next submit, both on the loop thread.
 * <p>Operations are written into the SQ as they are queued and published at submit; {@link #cancel}
 * turns the queued operations of a closing socket into NOPs, so a closed (and maybe reused) fd number is
 * never read or written. Completions are collected first and delivered after, in queue order, so a
 * completion handler may queue the operations of the next batch (for example the reply to what it read).
 */
public final class IoUringSocketBatch implements AutoCloseable {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(IoUringSocketBatch.class);
    /** Iovecs shared by the sendmsg operations of one batch. */
    static final int IOV_ARENA_ENTRIES = 4096;
    /** At most this many iovecs per sendmsg, as writev(2) allows. */
    public static final int MAX_IOV_PER_SEND = 1024;
    private static final int IOV_SIZE = 16;
    private static final int RECV = 0;
    private static final int SEND = 1;
    private static final int MAX_ENTER_RETRIES = 100;
    /** user_data of the park poll on a ring source's fd: its low half is never an operation's index. */
    private static final long PARK_POLL_DATA = -1L;

    /** What a queued operation reports to: the channel that queued it. */
    public interface Completion {
        /** Bytes received, 0 at end of stream, or -errno ({@code -EAGAIN}: nothing to read). */
        void recvCompleted(int res);

        /** Bytes sent, or -errno ({@code -EAGAIN}: the socket buffer is full). */
        void sendCompleted(int res);
    }

    private final IoUringRing ring;
    private final MappedMemory iovArena;
    private final MappedMemory msghdrs;
    private final int msghdrSize;
    private final int sendFlags;
    private final int recvFlags;
    private final int capacity;

    /** Tags user_data (high half) so a CQE of an abandoned earlier batch is never taken for this one's. */
    private int batchSeq;
    // The batch being queued: operation i has user_data (batchSeq, i) and sits at SQ index sqIndex[i].
    private Completion[] targets;
    private int[] kinds;
    private int[] sqIndex;
    private int queued;
    private int iovUsed;
    /** Iovecs added for the sendmsg being built (from iovUsed on). */
    private int iovPending;
    private long iovPendingBytes;

    // The batch being delivered, swapped with the queued one at submit.
    private Completion[] doneTargets;
    private int[] doneKinds;
    private int[] doneResults;
    private int doneCount;
    private int delivering = -1;

    /** IORING_FEAT_MIN_TIMEOUT: a park's wait can end a window after the submit (see submitAndPark). */
    private final boolean minTimeout;
    /** The oneshot park poll is in the kernel and has not completed: the next park reuses it. */
    private boolean parkPollArmed;
    /** The kernel refused the park poll once (the fd cannot be polled from io_uring): never park here again. */
    private boolean parkPollRefused;

    private boolean closed;
    private long submits;
    private long operations;
    private long parkingSubmits;

    private IoUringSocketBatch(IoUringRing ring, MappedMemory iovArena, MappedMemory msghdrs) {
        this.ring = ring;
        this.iovArena = iovArena;
        this.msghdrs = msghdrs;
        msghdrSize = align8(Native.SIZEOF_MSGHDR);
        // One SQ entry stays free for the park poll.
        capacity = ring.sqCapacity() - 1;
        minTimeout = ring.layout.hasFeature(Native.IORING_FEAT_MIN_TIMEOUT);
        sendFlags = Native.MSG_DONTWAIT | Native.MSG_NOSIGNAL;
        recvFlags = Native.MSG_DONTWAIT;
        targets = new Completion[capacity];
        kinds = new int[capacity];
        sqIndex = new int[capacity];
        doneTargets = new Completion[capacity];
        doneKinds = new int[capacity];
        doneResults = new int[capacity];
    }

    /** A batch of up to {@code entries} operations per submit (rounded to the kernel's power of two). */
    public static IoUringSocketBatch open(int entries) throws IOException {
        // The CQ has twice the SQ's room, and a batch never has more operations out than SQ entries.
        IoUringRing ring = IoUringRing.open("batched socket I/O (io_uring)", entries, 2 * entries, 0);
        MappedMemory arena = null;
        try {
            arena = MappedMemory.allocate((long) IOV_ARENA_ENTRIES * IOV_SIZE);
            MappedMemory headers = MappedMemory.allocate((long) ring.sqCapacity() * align8(Native.SIZEOF_MSGHDR));
            return new IoUringSocketBatch(ring, arena, headers);
        } catch (IOException | RuntimeException e) {
            if (arena != null) {
                arena.close();
            }
            ring.close();
            throw e;
        }
    }

    /**
     * Why batched socket I/O cannot run here, or {@code null}: opens a small batch and proves that a
     * {@code MSG_DONTWAIT} recv on an empty socket completes inside the submitting call with {@code -EAGAIN}.
     */
    public static Throwable unavailabilityCause() {
        int[] pair = new int[2];
        try (IoUringSocketBatch batch = open(8)) {
            if (!batch.ring.layout.hasFeature(Native.IORING_FEAT_EXT_ARG)) {
                return new UnsupportedOperationException("batched socket I/O is unavailable: the kernel lacks"
                        + " IORING_FEAT_EXT_ARG (Linux 5.11 or later)");
            }
            Errno.check("socketpair", Native.socketPair(pair));
            batch.queueRecv(pair[0], batch.iovArena.address(), 8, null);
            batch.ring.publish();
            // Bounded, unlike a real batch: on a kernel that arms a poll instead, the recv would never complete.
            batch.ring.enter(1, 1, Native.IORING_ENTER_GETEVENTS, 1_000_000_000L);
            IoUringRing ring = batch.ring;
            if (ring.cqTail() == ring.cqHead()) {
                return new UnsupportedOperationException("batched socket I/O is unavailable: a MSG_DONTWAIT recv on"
                        + " an empty socket did not complete inline (this kernel arms a poll for it)");
            }
            int res = ring.cqeRes(ring.cqHead());
            if (res != -Native.EAGAIN) {
                return new UnsupportedOperationException("batched socket I/O is unavailable: a MSG_DONTWAIT recv"
                        + " on an empty socket completed with " + res + ", expected -EAGAIN");
            }
            return null;
        } catch (Throwable t) {
            return t;
        } finally {
            if (pair[0] > 0) {
                Native.close(pair[0]);
                Native.close(pair[1]);
            }
        }
    }

    /** Queues a recv of up to {@code length} bytes into {@code address}; false when the batch is full. */
    public boolean queueRecv(int fd, long address, int length, Completion target) {
        return queue(RECV, Native.IORING_OP_RECV, fd, address, length, recvFlags, target);
    }

    /** Iovecs the sendmsg being built may still add. */
    public int iovRoom() {
        return Math.min(MAX_IOV_PER_SEND - iovPending, IOV_ARENA_ENTRIES - iovUsed - iovPending);
    }

    /** Adds an iovec to the sendmsg being built; false when {@link #iovRoom()} is 0. */
    public boolean addIov(long address, int length) {
        if (iovRoom() == 0) {
            return false;
        }
        int off = (iovUsed + iovPending) * IOV_SIZE;
        iovArena.putLong(off, address);
        iovArena.putLong(off + Long.BYTES, length);
        iovPending++;
        iovPendingBytes += length;
        return true;
    }

    /** Iovecs added to the sendmsg being built. */
    public int iovCount() {
        return iovPending;
    }

    /** Bytes the iovecs added so far cover. */
    public long iovBytes() {
        return iovPendingBytes;
    }

    /** Forgets the iovecs added since the last queued sendmsg. */
    public void discardIov() {
        iovPending = 0;
        iovPendingBytes = 0;
    }

    /**
     * Queues a sendmsg of the iovecs added since the last one; false (iovecs discarded) when the batch
     * is full or no iovec was added.
     */
    public boolean queueSendmsg(int fd, Completion target) {
        if (iovPending == 0 || queued == capacity) {
            discardIov();
            return false;
        }
        int hdr = queued * msghdrSize;
        for (int i = 0; i < msghdrSize; i += Long.BYTES) {
            msghdrs.putLong(hdr + i, 0L);
        }
        msghdrs.putLong(hdr + Native.MSGHDR_OFFSET_IOV, iovArena.address() + (long) iovUsed * IOV_SIZE);
        msghdrs.putLong(hdr + Native.MSGHDR_OFFSET_IOVLEN, iovPending);
        if (!queue(SEND, Native.IORING_OP_SENDMSG, fd, msghdrs.address() + hdr, 1, sendFlags, target)) {
            discardIov();
            return false;
        }
        iovUsed += iovPending;
        discardIov();
        return true;
    }

    private boolean queue(int kind, int opcode, int fd, long addr, int len, int flags, Completion target) {
        if (closed || queued == capacity) {
            return false;
        }
        int index = ring.writeSqe(opcode, fd, addr, len, flags, ((long) batchSeq << 32) | queued);
        if (index < 0) {
            return false;
        }
        targets[queued] = target;
        kinds[queued] = kind;
        sqIndex[queued] = index;
        queued++;
        return true;
    }

    /** Whether completions are being delivered (the caller is a completion handler, or code it called). */
    public boolean isDelivering() {
        return delivering >= 0;
    }

    /** Operations waiting for the next submit. */
    public int queued() {
        return queued;
    }

    /**
     * Submits every queued operation in one {@code io_uring_enter} that waits for all of their
     * completions, then delivers them in queue order. Returns how many were delivered.
     */
    public int submitAndComplete() {
        submit();
        return deliverCompleted();
    }

    /** Submits every queued operation and reaps their completions; {@link #deliverCompleted()} delivers them. */
    public void submit() {
        if (queued != 0 && !closed) {
            submitAndReap(0, -1, 0);
        }
    }

    /** Whether {@link #submitAndPark} can sleep here: the kernel has min-wait and has not refused the park poll. */
    public boolean canPark() {
        return minTimeout && !parkPollRefused && !closed;
    }

    /**
     * Submits every queued operation and sleeps in the same {@code io_uring_enter} until {@code pollFd} polls
     * readable, {@code timeoutNanos} passes ({@code < 0}: no limit) or, since the operations complete inline,
     * {@code windowMicros} after the wait began: their completions are held back at most that long. Reaps
     * the completions without delivering them; the caller calls {@link #deliverCompleted()} once it is awake.
     * Without {@link #canPark()} it only submits.
     */
    public void submitAndPark(int pollFd, long timeoutNanos, int windowMicros) {
        if (queued == 0 || closed) {
            return;
        }
        if (!canPark() || windowMicros <= 0) {
            submit();
            return;
        }
        if (!parkPollArmed) {
            // Oneshot: when the wait ends some other way it stays armed for the next park instead of being removed.
            ring.writeSqe(Native.IORING_OP_POLL_ADD, pollFd, 0, 0, Native.EPOLLIN, PARK_POLL_DATA);
            parkPollArmed = true;
        }
        parkingSubmits++;
        // A deadline within the window bounds the hold by itself; the kernel would let a min-wait outlast it.
        boolean deadlineFirst = timeoutNanos >= 0 && timeoutNanos <= windowMicros * 1000L;
        submitAndReap(1, timeoutNanos, deadlineFirst ? 0 : windowMicros);
    }

    /** Submits the queued operations and reaps their completions (plus {@code extra} awaited ones, first wait only). */
    private void submitAndReap(int extra, long timeoutNanos, int windowMicros) {
        if (doneCount != 0) {
            deliverCompleted(); // the arrays are about to be reused: what an earlier park reaped goes out first
        }
        int n = queued;
        ring.publish();
        int failure = submitAndWait(n, extra, timeoutNanos, windowMicros);
        batchSeq++;
        // Swap: handlers called later queue into the emptied arrays (the iov arena and headers are free again).
        Completion[] t = targets;
        targets = doneTargets;
        doneTargets = t;
        int[] k = kinds;
        kinds = doneKinds;
        doneKinds = k;
        doneCount = n;
        queued = 0;
        iovUsed = 0;
        if (failure != 0) {
            Arrays.fill(doneResults, 0, n, failure);
        }
        submits++;
        operations += n;
    }

    /**
     * Submits the queued SQEs and reaps their {@code n} CQEs into doneResults; 0, or -errno if the ring failed.
     * The first wait asks for {@code n + extra} completions within the time limits; later ones (after a signal,
     * or when the first ended before the batch was complete) for the rest of the batch only, without a limit.
     */
    private int submitAndWait(int n, int extra, long timeoutNanos, int windowMicros) {
        int reaped = reapCompletions(0); // a park poll that fired since the last batch
        int attempts = 0;
        boolean first = true;
        while (reaped < n) {
            int res;
            if (first) {
                res = ring.enter(ring.sqPending(), n + extra, Native.IORING_ENTER_GETEVENTS, timeoutNanos, windowMicros);
                first = false;
                if (res == -Native.ETIME) {
                    res = 0; // the park's time ran out; the batch's completions are there regardless
                }
            } else {
                // min_complete covers the whole batch: with MSG_DONTWAIT each operation completes inline anyway.
                res = ring.enter(ring.sqPending(), n - reaped, Native.IORING_ENTER_GETEVENTS, -1);
            }
            if (res < 0 && (res != -Native.EINTR && res != -Native.EAGAIN && res != -Native.EBUSY
                    || ++attempts > MAX_ENTER_RETRIES)) {
                abandonUnsubmitted(n);
                return res;
            }
            reaped = reapCompletions(reaped);
        }
        return 0;
    }

    /** Reads every CQE there: this batch's results go to doneResults. Returns {@code reaped} plus those. */
    private int reapCompletions(int reaped) {
        int tail = ring.cqTail();
        while (ring.cqHead() != tail) {
            int head = ring.cqHead();
            long data = ring.cqeUserData(head);
            if (data == PARK_POLL_DATA) {
                parkPollArmed = false;
                if (ring.cqeRes(head) < 0) {
                    parkPollRefused = true;
                    logger.debug("io_uring refused to poll the ring source's fd ({}): parking without the batch",
                            ring.cqeRes(head));
                }
            } else if ((int) (data >>> 32) == batchSeq) {
                doneResults[(int) data] = ring.cqeRes(head);
                reaped++;
            }
            ring.advanceCq();
        }
        return reaped;
    }

    /** The ring refused the call: SQEs it has not taken must not reach a socket later, so they become NOPs. */
    private void abandonUnsubmitted(int n) {
        if (ring.sqPending() == 0) {
            return;
        }
        for (int i = 0; i < n; i++) {
            ring.makeNop(sqIndex[i]);
        }
    }

    /** Delivers the completions reaped by the last submit, in queue order; returns how many were delivered. */
    public int deliverCompleted() {
        int delivered = 0;
        for (int i = 0; i < doneCount; i++) {
            Completion target = doneTargets[i];
            if (target == null) {
                continue; // cancelled: its socket closed earlier in this delivery
            }
            doneTargets[i] = null;
            delivering = i;
            delivered++;
            try {
                if (doneKinds[i] == RECV) {
                    target.recvCompleted(doneResults[i]);
                } else {
                    target.sendCompleted(doneResults[i]);
                }
            } catch (Throwable t) {
                // One channel's failure must not cost the others their completions (or the loop its life).
                logger.warn("Unexpected exception while completing batched I/O for {}", target, t);
            }
        }
        delivering = -1;
        doneCount = 0;
        return delivered;
    }

    /**
     * Withdraws {@code target}'s operations: queued ones become NOPs (their SQE never touches the fd or
     * the buffer, and no completion is delivered); completed ones not yet delivered are delivered now, so
     * the owner can account for what the kernel did before it closes or leaves the loop.
     */
    public void cancel(Completion target) {
        for (int i = 0; i < queued; i++) {
            if (targets[i] == target) {
                targets[i] = null;
                ring.makeNop(sqIndex[i]);
            }
        }
        for (int i = delivering + 1; i < doneCount; i++) {
            if (doneTargets[i] == target) {
                doneTargets[i] = null;
                if (doneKinds[i] == RECV) {
                    target.recvCompleted(doneResults[i]);
                } else {
                    target.sendCompleted(doneResults[i]);
                }
            }
        }
    }

    /** Submit calls so far. */
    public long submits() {
        return submits;
    }

    /** Submit calls that also parked (submitAndPark with the poll) so far; counted in {@link #submits()} too. */
    public long parkingSubmits() {
        return parkingSubmits;
    }

    /** Operations submitted so far. */
    public long operations() {
        return operations;
    }

    /**
     * Closes the ring. Queued operations are never submitted; their owners were closed first (the
     * loop closes its channels before it closes the batch), which cancelled them.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Arrays.fill(targets, null);
        queued = 0;
        ring.close();
        msghdrs.close();
        iovArena.close();
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }
}
