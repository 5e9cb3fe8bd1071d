package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.DatagramConstants;
import dev.userpoll.transport.internal.Native;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;

/**
 * A loop's batched socket I/O (DESIGN.md 4b): {@code recv} and {@code sendmsg} with {@code MSG_DONTWAIT} on
 * sockets the ring said are ready, written into an io_uring's SQ as they are queued and handed to the kernel
 * together. Such an operation completes inside the call that submits it, with data or {@code -EAGAIN} at once,
 * so nothing stays armed in the kernel: a buffer or an fd is referenced only from its queue call until its
 * completion is delivered.
 * <p>Two homes: on the io_uring ring source the batch shares the source's ring ({@link #shared}): the source's
 * park or flush submits the operations with everything else and its drain routes their completions here, so a
 * pass costs one {@code io_uring_enter}. Elsewhere (epoll, userpoll) it has a small ring of its own
 * ({@link #open}), which an {@link OwnRingBatchDriver} submits, parks on and reaps: {@link #submitAndComplete()}
 * submits, waits for and delivers the pass's operations; a source whose fd polls readable when it has events
 * (userpoll) may instead park in the call that submits them ({@link #submitAndPark}).
 * <p>Operations are numbered by a free-running sequence number, their {@link UserData} word; the table slot is
 * that number modulo a table twice the SQ's size, so the operations one pass queues while the previous pass's
 * are being delivered never share a slot. {@link #withdraw} takes a closing socket's operations back: queued ones
 * become NOPs, so a closed (and maybe reused) fd number is never touched; a submitted one reports its result.
 * Loop thread only.
 */
public final class IoUringSocketBatch implements AutoCloseable {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(IoUringSocketBatch.class);

    /** What a queued operation reports to: the socket I/O of the channel that queued it. */
    public interface Completion {
        /** Bytes received, 0 at end of stream, or -errno ({@code -EAGAIN}: nothing to read). */
        void recvCompleted(int res);

        /** Bytes sent, or -errno ({@code -EAGAIN}: the socket buffer is full). */
        void sendCompleted(int res);
    }

    /** {@link #withdraw}: the target had no send queued or submitted. */
    public static final int NO_SEND = Integer.MIN_VALUE;
    /** {@link #withdraw}: the target's send never reached the kernel. */
    public static final int SEND_UNSENT = Integer.MIN_VALUE + 1;
    /** {@link #withdraw}: the send was submitted, but its completion is not where it can be read yet. */
    public static final int SEND_UNKNOWN = Integer.MIN_VALUE + 2;

    /** Iovecs shared by the sendmsg operations of one submit. */
    static final int IOV_ARENA_ENTRIES = 4096;

    private static final byte FREE = 0;
    private static final byte QUEUED = 1;
    private static final byte SUBMITTED = 2;
    private static final byte RECV = 0;
    private static final byte SEND = 1;

    private final IoUringRing ring;
    /** Submits, parks on and reaps the ring when the batch has one of its own; null on a shared ring. */
    private final OwnRingBatchDriver ownRing;
    private final MappedMemory iovArena;
    /**
     * A view of the caller's iovec array (the loop's {@code IovArray}, whose address never changes), made once:
     * the copy into {@link #iovArena} goes through it, without {@code Unsafe} and without a JNI call per send.
     */
    private MappedMemory iovSource;
    private final MappedMemory msghdrs;
    private final int sendFlags = Native.MSG_DONTWAIT | Native.MSG_NOSIGNAL;
    private final int recvFlags = Native.MSG_DONTWAIT;
    /** Operations one submit may carry: the SQ's room (a shared ring keeps a quarter for its polls). */
    private final int capacity;

    // The operation table, indexed by seq & tableMask.
    private final int tableMask;
    private final Completion[] targets;
    private final byte[] kinds;
    private final byte[] states;
    private final int[] seqs;
    private final int[] sqIndex;
    /** Sequence number of the next operation; the oldest queued one is {@link #firstQueuedSeq}. */
    private int nextSeq;
    private int firstQueuedSeq;
    private int queued;
    /** Of the queued operations, the recvs. */
    private int queuedRecvs;
    /** Operations handed to the kernel whose completion was neither delivered nor withdrawn. */
    private int inFlight;
    private int iovUsed;

    /** A completion handler is running (the caller answers a completion). */
    private boolean delivering;
    private boolean closed;
    /** The loop's counters: submits, operations and completions are counted there. */
    private final LoopCounters counters;

    private IoUringSocketBatch(IoUringRing ring, boolean ownsRing, int capacity, MappedMemory iovArena,
                               MappedMemory msghdrs, int tableSize, LoopCounters counters) {
        this.ring = ring;
        this.counters = counters;
        this.ownRing = ownsRing ? new OwnRingBatchDriver(ring, this) : null;
        this.capacity = capacity;
        this.iovArena = iovArena;
        this.msghdrs = msghdrs;
        tableMask = tableSize - 1;
        targets = new Completion[tableSize];
        kinds = new byte[tableSize];
        states = new byte[tableSize];
        seqs = new int[tableSize];
        sqIndex = new int[tableSize];
    }

    /** A batch on a ring of its own, of up to {@code entries} operations per submit (the kernel's power of two). */
    public static IoUringSocketBatch open(int entries) throws IOException {
        return open(entries, new LoopCounters());
    }

    /** As {@link #open(int)}, counting in the loop's {@code counters}. */
    public static IoUringSocketBatch open(int entries, LoopCounters counters) throws IOException {
        // The CQ has twice the SQ's room, and a submit never has more operations out than SQ entries.
        IoUringRing ring = IoUringRing.open("batched socket I/O (io_uring)", entries, 2 * entries, 0, counters);
        try {
            return create(ring, true, ring.sqCapacity(), counters);
        } catch (IOException | RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /** A batch in the SQ of {@code ring}, which its owner submits and whose CQ its owner drains. */
    static IoUringSocketBatch shared(IoUringRing ring, int capacity, LoopCounters counters) throws IOException {
        return create(ring, false, Math.min(capacity, ring.sqCapacity()), counters);
    }

    private static IoUringSocketBatch create(IoUringRing ring, boolean ownsRing, int capacity, LoopCounters counters)
            throws IOException {
        int tableSize = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) * 2;
        MappedMemory arena = MappedMemory.allocate((long) IOV_ARENA_ENTRIES * MsgHdrLayout.IOV_SIZE);
        try {
            MappedMemory headers = MappedMemory.allocate((long) tableSize * MsgHdrLayout.MSGHDR_STRIDE);
            return new IoUringSocketBatch(ring, ownsRing, capacity, arena, headers, tableSize, counters);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Whether this batch shares the ring source's ring (its completions arrive through the source's drain). */
    public boolean isShared() {
        return ownRing == null;
    }

    /** Queues a recv of up to {@code length} bytes into {@code address}; false when the batch is full. */
    public boolean queueRecv(int fd, long address, int length, Completion target) {
        return queue(RECV, Native.IORING_OP_RECV, fd, address, length, recvFlags, target) >= 0;
    }

    /**
     * Queues a {@code recvmsg} into the message header at {@code msghdr} (a datagram with its sender; the header and
     * what it points at stay the caller's to keep until the completion); false when the batch is full.
     */
    public boolean queueRecvmsg(int fd, long msghdr, Completion target) {
        return queue(RECV, DatagramConstants.IORING_OP_RECVMSG, fd, msghdr, 1, recvFlags, target) >= 0;
    }

    /**
     * Queues a {@code sendmsg} of the message header at {@code msghdr} as the caller wrote it (a datagram with its
     * recipient and control messages; kept by the caller until the completion); false when the batch is full.
     */
    public boolean queueSendmsgHeader(int fd, long msghdr, Completion target) {
        return queue(SEND, Native.IORING_OP_SENDMSG, fd, msghdr, 1, sendFlags, target) >= 0;
    }

    /** A view of the iovec array at {@code address}, as long as the arena (no send copies more). */
    private MappedMemory iovSource(long address) {
        MappedMemory source = iovSource;
        if (source == null || source.address() != address) {
            iovSource = source = MappedMemory.wrap(address, iovArena.length());
        }
        return source;
    }

    /**
     * Queues a sendmsg of {@code iovCount} iovecs at {@code iovAddress} (a {@code struct iovec} array, copied
     * now, so the caller may reuse it at once); false when the batch or its iovec room is full.
     */
    public boolean queueSendmsg(int fd, long iovAddress, int iovCount, Completion target) {
        if (iovCount <= 0 || iovCount > IOV_ARENA_ENTRIES - iovUsed) {
            return false;
        }
        int slot = nextSeq & tableMask;
        if (states[slot] != FREE || queued == capacity || closed) {
            return false;
        }
        int iovOffset = iovUsed * MsgHdrLayout.IOV_SIZE;
        long iov = iovArena.address() + iovOffset;
        iovArena.copyFrom(iovSource(iovAddress), 0, iovOffset, iovCount * MsgHdrLayout.IOV_SIZE);
        int hdr = slot * MsgHdrLayout.MSGHDR_STRIDE;
        for (int i = 0; i < MsgHdrLayout.MSGHDR_STRIDE; i += Long.BYTES) {
            msghdrs.putLong(hdr + i, 0L);
        }
        msghdrs.putLong(hdr + MsgHdrLayout.MSG_IOV_OFFSET, iov);
        msghdrs.putLong(hdr + MsgHdrLayout.MSG_IOVLEN_OFFSET, iovCount);
        if (queue(SEND, Native.IORING_OP_SENDMSG, fd, msghdrs.address() + hdr, 1, sendFlags, target) < 0) {
            return false;
        }
        iovUsed += iovCount;
        return true;
    }

    private int queue(byte kind, int opcode, int fd, long addr, int len, int flags, Completion target) {
        int seq = nextSeq;
        int slot = seq & tableMask;
        if (closed || queued == capacity || states[slot] != FREE) {
            return -1;
        }
        int index = ring.writeSqe(opcode, fd, addr, len, flags, UserData.operation(seq));
        if (index < 0) {
            return -1;
        }
        if (queued == 0) {
            firstQueuedSeq = seq;
        }
        targets[slot] = target;
        kinds[slot] = kind;
        states[slot] = QUEUED;
        seqs[slot] = seq;
        sqIndex[slot] = index;
        nextSeq = seq + 1;
        queued++;
        if (kind == RECV) {
            queuedRecvs++;
        }
        return slot;
    }

    /** Operations written into the SQ and not yet handed to the kernel. */
    public int queued() {
        return queued;
    }

    /** Recvs among the queued operations. */
    public int queuedRecvs() {
        return queuedRecvs;
    }

    /** Operations handed to the kernel whose completion was neither delivered nor withdrawn. */
    int inFlight() {
        return inFlight;
    }

    /** Closed: nothing is queued or submitted any more. */
    boolean isClosed() {
        return closed;
    }

    /** Whether a completion handler is running: the caller is answering a completion. */
    public boolean isDelivering() {
        return delivering;
    }

    /**
     * The ring's owner (the io_uring source, or this batch's {@link OwnRingBatchDriver}) has called
     * {@code io_uring_enter}: the operations the kernel took are in flight now (their completions are in its CQ
     * when the call returns, since they complete inline).
     */
    void onSubmitted() {
        onSubmitted(false);
    }

    /** As {@link #onSubmitted()}; {@code parked}: the enter that took them also parked the loop. */
    void onSubmitted(boolean parked) {
        if (queued == 0) {
            return;
        }
        int taken = 0;
        int sqHead = ring.sqHead();
        int seq = firstQueuedSeq;
        for (; seq != nextSeq; seq++) {
            int slot = seq & tableMask;
            if (states[slot] != QUEUED || seqs[slot] != seq) {
                continue; // withdrawn while queued
            }
            if (sqIndex[slot] - sqHead >= 0) {
                break; // the kernel stopped before this one: it and the later ones go with the next enter
            }
            states[slot] = SUBMITTED;
            queued--;
            if (kinds[slot] == RECV) {
                queuedRecvs--;
            }
            inFlight++;
            taken++;
        }
        firstQueuedSeq = seq;
        if (seq == nextSeq) {
            queued = 0;
            queuedRecvs = 0;
            iovUsed = 0; // the kernel copied every iovec of this submit while issuing the sendmsgs inline
        }
        if (taken != 0) {
            counters.operationsSubmitted(taken, parked);
        }
    }

    /**
     * An operation's completion from the CQ (the ring's owner calls this from its drain or reap): delivers it to
     * its target unless the target withdrew it. Returns whether something was delivered.
     */
    boolean complete(long userData, int res) {
        int seq = UserData.operationSeq(userData);
        int slot = seq & tableMask;
        if (states[slot] != SUBMITTED || seqs[slot] != seq) {
            return false; // a NOP left by a withdrawal, or an operation withdrawn after its submit
        }
        Completion target = targets[slot];
        targets[slot] = null;
        states[slot] = FREE;
        inFlight--;
        counters.completion();
        boolean outer = delivering;
        delivering = true;
        try {
            if (kinds[slot] == RECV) {
                target.recvCompleted(res);
            } else {
                target.sendCompleted(res);
            }
        } catch (Throwable t) {
            // One channel's failure must not cost the others their completions (or the loop its life).
            logger.warn("Unexpected exception while completing batched I/O for {}", target, t);
        } finally {
            delivering = outer;
        }
        return true;
    }

    /** Whether a CQE's word names an operation whose completion would be delivered (plain loads only). */
    boolean isAwaited(long userData) {
        int seq = UserData.operationSeq(userData);
        int slot = seq & tableMask;
        return states[slot] == SUBMITTED && seqs[slot] == seq;
    }

    /** On a ring of its own: submits the queued operations, delivers their completions ({@link OwnRingBatchDriver}). */
    public int submitAndComplete() {
        return ownRing.submitAndComplete();
    }

    /** On a ring of its own: delivers what the last {@link #submitAndPark} took, first ({@link OwnRingBatchDriver}). */
    public int completeParked() {
        return ownRing.completeParked();
    }

    /**
     * On a ring of its own: parks the loop in the call that submits the queued operations, until {@code doorbellFd}
     * polls readable or {@code timeoutNanos} ({@link OwnRingBatchDriver}); false when it cannot park this way now.
     */
    public boolean submitAndPark(int doorbellFd, long timeoutNanos) throws IOException {
        return ownRing.submitAndPark(doorbellFd, timeoutNanos);
    }

    /** The ring refused the submit: the queued SQEs become NOPs and their owners hear the error. */
    void failQueued(int error) {
        for (int seq = firstQueuedSeq; seq != nextSeq; seq++) {
            int slot = seq & tableMask;
            if (states[slot] == QUEUED && seqs[slot] == seq) {
                ring.makeNop(sqIndex[slot]);
                states[slot] = SUBMITTED;
                inFlight++;
            }
        }
        queued = 0;
        queuedRecvs = 0;
        iovUsed = 0;
        failSubmitted(error);
    }

    /** The ring cannot deliver what it took: every submitted operation's owner hears {@code error}. */
    void failSubmitted(int error) {
        for (int i = 0; i <= tableMask; i++) {
            if (states[i] == SUBMITTED) {
                complete(UserData.operation(seqs[i]), error);
            }
        }
    }

    /**
     * Takes {@code target}'s operations back (its socket closes, shuts its output or leaves the loop): a queued
     * one becomes a NOP that never touches the fd or its buffer; a submitted one whose completion was not
     * delivered yet is looked up in the CQ and will not be delivered. Nothing is called back. Returns what
     * became of the target's send: {@link #NO_SEND}, {@link #SEND_UNSENT}, its result (bytes or -errno), or
     * {@link #SEND_UNKNOWN} when its completion is still in the kernel's overflow list.
     */
    public int withdraw(Completion target) {
        int send = NO_SEND;
        for (int i = 0; i <= tableMask; i++) {
            if (targets[i] != target || states[i] == FREE) {
                continue;
            }
            int result = SEND_UNSENT;
            if (states[i] == QUEUED && sqIndex[i] - ring.sqHead() >= 0) {
                ring.makeNop(sqIndex[i]); // the kernel has not read the SQE yet: it never touches the fd
                unqueue(i);
            } else {
                if (states[i] == QUEUED) {
                    unqueue(i); // an enter this batch did not hear of took it: it ran, like a submitted one
                    inFlight++;
                }
                result = findCompletion(UserData.operation(seqs[i]));
                inFlight--;
            }
            targets[i] = null;
            states[i] = FREE;
            if (kinds[i] == SEND) {
                send = result;
            }
        }
        if (queued == 0) {
            firstQueuedSeq = nextSeq;
        }
        return send;
    }

    private void unqueue(int slot) {
        queued--;
        if (kinds[slot] == RECV) {
            queuedRecvs--;
        }
    }

    /** The result of a submitted operation, read from the CQ without consuming it. */
    private int findCompletion(long userData) {
        int tail = ring.cqTail();
        for (int head = ring.cqHead(); head != tail; head++) {
            if (ring.cqeUserData(head) == userData) {
                return ring.cqeRes(head);
            }
        }
        return SEND_UNKNOWN;
    }

    /** Submit calls that carried operations so far. */
    public long submits() {
        return counters.get(LoopCounters.OPERATION_SUBMITS);
    }

    /** Submit calls that also parked the loop (a shared ring's park with queued operations) so far. */
    public long parkingSubmits() {
        return counters.get(LoopCounters.PARKING_SUBMITS);
    }

    /** Operations submitted so far. */
    public long operations() {
        return counters.get(LoopCounters.OPERATIONS);
    }

    /**
     * Closes the batch (and its ring, when it has one of its own). Queued operations are never submitted; their
     * owners were closed first (the loop closes its channels before it closes the batch), which withdrew them.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        java.util.Arrays.fill(targets, null);
        java.util.Arrays.fill(states, FREE);
        queued = 0;
        queuedRecvs = 0;
        inFlight = 0;
        if (ownRing != null) {
            ring.close();
        }
        msghdrs.close();
        iovArena.close();
    }
}
