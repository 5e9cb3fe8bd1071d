package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;

/**
 * One io_uring instance mapped into the JVM: its SQ ring, CQ ring and SQE array, the free-running
 * SQ tail and CQ head this side owns, writing SQEs and handing them to the kernel. What the ring is
 * used for (readiness polls, batched socket I/O) belongs to its owner. Loop thread only.
 */
final class IoUringRing implements AutoCloseable {
    final IoUringRingLayout layout;
    final int fd;
    private final MappedMemory sqRing;
    private final MappedMemory cqRing;
    private final MappedMemory sqes;
    private final int sqMask;
    private final int sqCapacity;
    private final int cqMask;
    /** The owning loop's counters: every io_uring_enter is counted here, by the reason its caller gives. */
    private final LoopCounters counters;

    /** What io_uring_enter names the ring by: its fd, or its index once registered with the loop thread. */
    private int enterFd;
    /** {@code IORING_ENTER_REGISTERED_RING} once registered, else 0. */
    private int enterFlags;
    /** The thread whose table holds the registered index ({@code enterFd}), while {@code enterFlags} says so. */
    private Thread registeredBy;
    /** Next SQE slot (free-running); the kernel sees it after {@link #publish()}'s release store. */
    private int sqTail;
    /** Next CQE to read (free-running); the kernel sees it after {@link #advanceCq()}'s release store. */
    private int cqHead;
    private boolean closed;

    private IoUringRing(int fd, IoUringRingLayout layout, MappedMemory sqRing, MappedMemory cqRing,
                        MappedMemory sqes, LoopCounters counters) {
        this.fd = fd;
        this.counters = counters;
        this.layout = layout;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        sqMask = sqRing.getInt(layout.sqRingMask);
        sqCapacity = sqRing.getInt(layout.sqRingEntries);
        cqMask = cqRing.getInt(layout.cqRingMask);
        // SQEs are consumed in ring order, so the indirection array is the identity, written once.
        for (int i = 0; i < sqCapacity; i++) {
            sqRing.putInt(layout.sqArrayOffset(i), i);
        }
        sqTail = sqRing.getInt(layout.sqTail);
        cqHead = cqRing.getInt(layout.cqHead);
        enterFd = fd;
    }

    /**
     * Registers the ring fd with the calling thread (IORING_REGISTER_RING_FDS, Linux 5.18), as Netty's io_uring
     * transport does: every later enter skips the kernel's fd-table lookup and reference count. From then on only
     * this thread may enter the ring, and it should be the one that closes it. Returns 0, or -errno when the kernel
     * refused (the ring then goes on by its fd).
     */
    int registerWithCurrentThread() {
        Thread current = Thread.currentThread();
        if (closed || enterFlags != 0 && registeredBy == current) {
            return 0;
        }
        if (enterFlags != 0) {
            // The loop goes on on another thread (an auto-scaling group resumed it there). The old index lives in
            // the old thread's table, which the kernel frees when that thread exits: enter by the fd until the
            // new thread has its own.
            enterFlags = 0;
            enterFd = fd;
            registeredBy = null;
        }
        int index = Native.ioUringRegisterRingFd(fd);
        if (index < 0) {
            return index;
        }
        enterFd = index;
        enterFlags = Native.IORING_ENTER_REGISTERED_RING;
        registeredBy = current;
        return 0;
    }

    /** Whether enters name the ring by its registered index. */
    boolean isRegisteredWithThread() {
        return enterFlags != 0;
    }

    /**
     * io_uring_setup with {@code IORING_SETUP_CLAMP | flags}; flags an older kernel refuses with
     * {@code EINVAL} are dropped, newest first. {@code what} names the ring in the error; its enters are counted
     * in {@code counters}.
     */
    static IoUringRing open(String what, int sqEntries, int cqEntries, int flags, LoopCounters counters)
            throws IOException {
        long[] out = IoUringRingLayout.newSetupResult();
        int fd = setup(sqEntries, cqEntries, flags, out);
        if (fd < 0) {
            throw new IOException(what + " is unavailable: io_uring_setup(" + sqEntries + ", cq " + cqEntries
                    + ") failed with " + Errno.describe(fd) + " ("
                    + Errno.ioException("io_uring_setup", fd).getMessage() + ')');
        }
        IoUringRingLayout l = new IoUringRingLayout(out);
        MappedMemory sq = MappedMemory.owning(l.sqRingAddress, l.sqRingSize);
        MappedMemory cq = l.sharedRingMapping() ? MappedMemory.wrap(l.cqRingAddress, l.cqRingSize)
                : MappedMemory.owning(l.cqRingAddress, l.cqRingSize);
        MappedMemory entries = MappedMemory.owning(l.sqesAddress, l.sqesSize);
        return new IoUringRing(fd, l, sq, cq, entries, counters);
    }

    private static int setup(int sqEntries, int cqEntries, int flags, long[] out) {
        int base = Native.IORING_SETUP_CLAMP;
        int res = Native.ioUringSetup(sqEntries, base | flags, cqEntries, out);
        if (res == -Native.EINVAL && (flags & Native.IORING_SETUP_TASKRUN_FLAG) != 0) {
            flags &= ~Native.IORING_SETUP_TASKRUN_FLAG;
            res = Native.ioUringSetup(sqEntries, base | flags, cqEntries, out);
        }
        if (res == -Native.EINVAL && (flags & Native.IORING_SETUP_COOP_TASKRUN) != 0) {
            flags &= ~Native.IORING_SETUP_COOP_TASKRUN;
            res = Native.ioUringSetup(sqEntries, base | flags, cqEntries, out);
        }
        return res;
    }

    int sqCapacity() {
        return sqCapacity;
    }

    /** SQEs written and not yet consumed by the kernel. */
    int sqPending() {
        return sqTail - sqHead();
    }

    /** The kernel's SQ head (free-running): every SQE below it has been consumed. Acquire, as the kernel stores it with release. */
    int sqHead() {
        return sqRing.getIntAcquire(layout.sqHead);
    }

    /**
     * Writes one SQE at the tail, unpublished until {@link #publish()}; returns its free-running index,
     * or -1 when the SQ is full.
     */
    int writeSqe(int opcode, int fd, long addr, int len, int opFlags, long userData) {
        if (sqPending() == sqCapacity) {
            return -1;
        }
        int index = sqTail++;
        int off = IoUringRingLayout.sqeOffset(index & sqMask);
        for (int i = 0; i < IoUringRingLayout.SQE_SIZE; i += Long.BYTES) {
            sqes.putLong(off + i, 0L);
        }
        sqes.putByte(off + IoUringRingLayout.SQE_OPCODE, (byte) opcode);
        sqes.putInt(off + IoUringRingLayout.SQE_FD, fd);
        sqes.putLong(off + IoUringRingLayout.SQE_ADDR, addr);
        sqes.putInt(off + IoUringRingLayout.SQE_LEN, len);
        sqes.putInt(off + IoUringRingLayout.SQE_OP_FLAGS, opFlags);
        sqes.putLong(off + IoUringRingLayout.SQE_USER_DATA, userData);
        return index;
    }

    /** Turns a written, not yet submitted SQE into a NOP (its completion still comes, with the same user_data). */
    void makeNop(int index) {
        int off = IoUringRingLayout.sqeOffset(index & sqMask);
        sqes.putByte(off + IoUringRingLayout.SQE_OPCODE, (byte) Native.IORING_OP_NOP);
        sqes.putInt(off + IoUringRingLayout.SQE_FD, -1);
    }

    /** Makes every written SQE visible to the kernel. */
    void publish() {
        // Release: the SQEs' fields are visible before the kernel can see the new tail.
        sqRing.putIntRelease(layout.sqTail, sqTail);
    }

    /**
     * Publishes and hands every queued SQE to the kernel. Returns how many it took, or -errno. Without
     * SQPOLL the kernel consumes them during the call; a failing SQE is consumed too and its error is a CQE.
     * Each enter is counted for {@code reason} ({@link LoopCounters}).
     */
    int submit(int reason) {
        publish();
        int submitted = 0;
        for (;;) {
            int pending = sqPending();
            if (pending == 0) {
                return submitted;
            }
            counters.entered(reason);
            int res = Native.ioUringEnter(enterFd, pending, 0, enterFlags, -1);
            if (res == -Native.EINTR) {
                continue;
            }
            if (res <= 0) {
                return res < 0 ? res : submitted;
            }
            submitted += res;
        }
    }

    /**
     * io_uring_enter on this ring, counted for {@code reason}; {@code timeoutNanos < 0}: no limit. Returns the
     * kernel's answer.
     */
    int enter(int toSubmit, int minComplete, int flags, long timeoutNanos, int reason) {
        counters.entered(reason);
        return Native.ioUringEnter(enterFd, toSubmit, minComplete, flags | enterFlags, timeoutNanos);
    }

    /** The SQ ring flags (IORING_SQ_*), as the kernel last stored them. */
    int sqFlags() {
        return sqRing.getIntAcquire(layout.sqFlags);
    }

    int cqHead() {
        return cqHead;
    }

    /** The kernel's CQ tail; acquire, so the CQEs below it are fully written. */
    int cqTail() {
        return cqRing.getIntAcquire(layout.cqTail);
    }

    long cqeUserData(int head) {
        return cqRing.getLong(layout.cqeOffset(head, cqMask) + IoUringRingLayout.CQE_USER_DATA);
    }

    int cqeRes(int head) {
        return cqRing.getInt(layout.cqeOffset(head, cqMask) + IoUringRingLayout.CQE_RES);
    }

    int cqeFlags(int head) {
        return cqRing.getInt(layout.cqeOffset(head, cqMask) + IoUringRingLayout.CQE_FLAGS);
    }

    /** Consumes the CQE at the head; call after reading it. */
    void advanceCq() {
        // Release: the reads of the CQE happen before the kernel may reuse its slot.
        cqRing.putIntRelease(layout.cqHead, ++cqHead);
    }

    /** Unmaps the rings and closes the ring fd, which ends every operation still armed in the kernel. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (enterFlags != 0 && registeredBy == Thread.currentThread()) {
            // The registration holds a reference to the ring: without this the ring outlives its close. (Another
            // thread's registration can only go with that thread, which the kernel releases when it exits.)
            Native.ioUringUnregisterRingFd(fd, enterFd);
        }
        enterFlags = 0;
        registeredBy = null;
        sqes.close();
        cqRing.close();
        sqRing.close();
        Native.close(fd);
    }
}
