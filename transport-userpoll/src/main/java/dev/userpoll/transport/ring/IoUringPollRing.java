package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.util.internal.SystemPropertyUtil;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The io_uring ring source: the kernel writes readiness into the CQ ring, fed by one multishot
 * {@code IORING_OP_POLL_ADD} per fd (edge-triggered), and the loop reads it with plain loads. The
 * loop enters the kernel only to submit (registration, deregistration, the rare re-arm), to sleep,
 * and when the SQ ring flags say completions are waiting in the kernel (CQ overflow, task work).
 * <p>Every arm carries the {@link FdRegistrations} data word as {@code user_data}, so completions of
 * an ended registration or of a reused fd number are dropped. A CQE without {@code IORING_CQE_F_MORE}
 * means the kernel ended the arm (for example when the CQ ring was full): a current registration is
 * armed again with the same data word. {@link #wakeup()} writes an eventfd armed the same way.
 */
public final class IoUringPollRing implements RingSource {
    /**
     * Setup flags: a comma list of {@code coop} (IORING_SETUP_COOP_TASKRUN), {@code taskrun}
     * (IORING_SETUP_TASKRUN_FLAG, implies coop), or {@code default} for none. Never DEFER_TASKRUN (completions
     * would appear only inside io_uring_enter) nor SINGLE_ISSUER (a source may be opened on another thread
     * than the loop's).
     */
    static final String SETUP_FLAGS_PROPERTY = "dev.userpoll.ioUring.setupFlags";
    /**
     * COOP_TASKRUN | TASKRUN_FLAG. Without COOP the kernel interrupts the loop with an IPI to post each
     * multishot poll's CQE (the HTTP benchmark: 23% of server samples, CPU per request 1.3-2x); with it the
     * task work runs on the way out of the loop's next recv/send, and TASKRUN_FLAG tells a loop that is
     * only spinning on the ring to enter the kernel for it (drain and hasReady() watch IORING_SQ_TASKRUN).
     * A loopback ping-pong could not tell the three choices apart; the property keeps them comparable.
     */
    private static final String DEFAULT_SETUP_FLAGS = "coop,taskrun";

    /** user_data of POLL_REMOVE requests; a data word never has fd -1 in its low half. */
    private static final long REMOVE_DATA = -1L;
    /** user_data of the wakeup eventfd's arm; fd -2 in the low half, never a data word. */
    private static final long WAKEUP_DATA = -2L;
    /** Wakeup completions between two reads of the eventfd (its counter only needs to stay bounded). */
    private static final int WAKEUP_READ_INTERVAL = 1024;
    /** Flag checks per drain: each may flush at most a CQ ring's worth of overflowed completions. */
    private static final int MAX_FLUSHES_PER_DRAIN = 8;
    private static final int MAX_SQ_ENTRIES = 256;

    private static final int WAKEUP_IDLE = 0;
    private static final int WAKEUP_WRITTEN = 1;
    private static final int WAKEUP_CLOSED = 2;
    private static final AtomicIntegerFieldUpdater<IoUringPollRing> WAKEUP_STATE =
            AtomicIntegerFieldUpdater.newUpdater(IoUringPollRing.class, "wakeupState");

    private final IoUringRingLayout layout;
    private final int ringFd;
    private final int wakeupFd;
    private final MappedMemory sqRing;
    private final MappedMemory cqRing;
    private final MappedMemory sqes;
    private final int sqMask;
    private final int sqCapacity;
    private final int cqMask;
    private final int pollAddOp;
    private final int pollRemoveOp;
    /** Flags that say completions wait in the kernel: CQ overflow, and task work under TASKRUN_FLAG. */
    private final int kernelPendingFlags;

    private final FdRegistrations registrations = new FdRegistrations();
    /** Poll events of each registered fd, indexed by fd, for re-arming. */
    private int[] interest = new int[256];

    /** Next SQE slot (free-running); published to the kernel with a release store of the SQ tail. */
    private int sqTail;
    /** Next CQE to read (free-running); published with a release store of the CQ head. */
    private int cqHead;
    private boolean draining;
    private boolean closed;
    private long armCount;
    private int wakeupCompletions;
    private boolean wakeupMultishotSeen;
    /**
     * WRITTEN from a {@link #wakeup()} that wrote the eventfd until a {@link #park} consumes it (only
     * then does wakeup write again); CLOSED once the eventfd is closed, so a late wakeup writes nothing.
     */
    private volatile int wakeupState;

    /** Opens a ring sized for {@code ringSize} ready events per drain, with the configured setup flags. */
    public IoUringPollRing(int ringSize) throws IOException {
        this(sqEntriesFor(ringSize), cqEntriesFor(ringSize), configuredSetupFlags());
    }

    IoUringPollRing(int sqEntries, int cqEntries, int setupFlags) throws IOException {
        long[] out = IoUringRingLayout.newSetupResult();
        int fd = setup(sqEntries, cqEntries, setupFlags, out);
        if (fd < 0) {
            throw new IOException("io_uring is unavailable: io_uring_setup(" + sqEntries + ", cq " + cqEntries
                    + ") failed with " + errnoName(fd) + " (" + Errno.ioException("io_uring_setup", fd).getMessage()
                    + ')');
        }
        IoUringRingLayout l = new IoUringRingLayout(out);
        MappedMemory sq = MappedMemory.owning(l.sqRingAddress, l.sqRingSize);
        MappedMemory cq = l.sharedRingMapping() ? MappedMemory.wrap(l.cqRingAddress, l.cqRingSize)
                : MappedMemory.owning(l.cqRingAddress, l.cqRingSize);
        MappedMemory entries = MappedMemory.owning(l.sqesAddress, l.sqesSize);
        int efd = -1;
        try {
            if (!l.hasFeature(Native.IORING_FEAT_EXT_ARG)) {
                throw new IOException("io_uring is unavailable: the kernel lacks IORING_FEAT_EXT_ARG"
                        + " (timed waits need Linux 5.11 or later)");
            }
            efd = Errno.check("eventfd", Native.eventFd());
        } catch (IOException | RuntimeException e) {
            entries.close();
            cq.close();
            sq.close();
            Native.close(fd);
            throw e;
        }
        layout = l;
        ringFd = fd;
        wakeupFd = efd;
        sqRing = sq;
        cqRing = cq;
        sqes = entries;
        sqMask = sq.getInt(l.sqRingMask);
        sqCapacity = sq.getInt(l.sqRingEntries);
        cqMask = cq.getInt(l.cqRingMask);
        pollAddOp = Native.IORING_OP_POLL_ADD;
        pollRemoveOp = Native.IORING_OP_POLL_REMOVE;
        kernelPendingFlags = Native.IORING_SQ_CQ_OVERFLOW
                | ((l.setupFlags & Native.IORING_SETUP_TASKRUN_FLAG) != 0 ? Native.IORING_SQ_TASKRUN : 0);
        // Our SQEs are consumed in ring order, so the indirection array is the identity, written once.
        for (int i = 0; i < sqCapacity; i++) {
            sq.putInt(l.sqArrayOffset(i), i);
        }
        sqTail = sq.getInt(l.sqTail);
        cqHead = cq.getInt(l.cqHead);
        try {
            armWakeup();
            Errno.check("io_uring_enter", submit());
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * Whether this kernel can run the source: creates a tiny ring (the setup flags as configured),
     * checks {@code IORING_FEAT_EXT_ARG}, and proves multishot poll (Linux 5.13) works by waking it.
     */
    static Throwable probe() {
        try (IoUringPollRing ring = new IoUringPollRing(2, 4, configuredSetupFlags())) {
            ring.wakeup();
            long deadline = System.nanoTime() + 1_000_000_000L;
            while (!ring.wakeupMultishotSeen && ring.wakeupCompletions == 0 && System.nanoTime() < deadline) {
                ring.park(100_000_000L);
                ring.drain((token, events) -> { });
            }
            if (!ring.wakeupMultishotSeen) {
                return new UnsupportedOperationException("io_uring is unavailable: multishot poll"
                        + " (IORING_POLL_ADD_MULTI, Linux 5.13 or later) did not complete with IORING_CQE_F_MORE");
            }
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @Override
    public RingSourceKind kind() {
        return RingSourceKind.IO_URING;
    }

    @Override
    public void register(int fd, int events, long token) throws IOException {
        ensureOpen();
        long data = registrations.add(fd, token);
        if (fd >= interest.length) {
            interest = Arrays.copyOf(interest, Math.max(interest.length * 2, fd + 1));
        }
        // Multishot poll is edge-triggered unless IORING_POLL_ADD_LEVEL; the EPOLLET bit has no meaning here.
        interest[fd] = (events & ~Native.EPOLLET) | Native.EPOLLERR | Native.EPOLLHUP;
        if (!queuePollAdd(fd, interest[fd], data)) {
            registrations.remove(fd);
            throw new IOException("io_uring submission queue is full and could not be submitted (fd " + fd + ')');
        }
        // Inside drain() the registrations of a whole batch go to the kernel in one io_uring_enter at its end.
        if (!draining) {
            Errno.check("io_uring_enter", submit());
        }
    }

    @Override
    public void deregister(int fd) throws IOException {
        ensureOpen();
        long data = registrations.remove(fd);
        if (data == -1) {
            return;
        }
        // From here on the table drops every completion of this data word; the removal drops the arm's
        // file reference, so it goes to the kernel at once (the caller may close the fd next).
        if (!queueSqe(pollRemoveOp, -1, data, 0, 0, REMOVE_DATA)) {
            throw new IOException("io_uring submission queue is full and could not be submitted (fd " + fd + ')');
        }
        Errno.check("io_uring_enter", submit());
    }

    @Override
    public int drain(ReadyHandler handler) {
        if (closed) {
            return 0;
        }
        int delivered = 0;
        draining = true;
        try {
            for (int flushes = 0; ; flushes++) {
                delivered += drainCompletions(handler);
                if (closed) {
                    return delivered; // the handler closed the source: the rings are unmapped
                }
                // A plain load of the SQ flags: the kernel sets them when completions wait on its side.
                if (flushes == MAX_FLUSHES_PER_DRAIN
                        || (sqRing.getIntAcquire(layout.sqFlags) & kernelPendingFlags) == 0) {
                    break;
                }
                // Flushes the overflow list into the CQ ring and runs pending task work; never waits.
                Native.ioUringEnter(ringFd, 0, 0, Native.IORING_ENTER_GETEVENTS, -1);
            }
        } finally {
            draining = false;
        }
        if (sqTail != sqRing.getIntAcquire(layout.sqHead)) {
            // Registrations and re-arms queued during the batch; errors come back as CQEs or on the next submit.
            submit();
        }
        return delivered;
    }

    private int drainCompletions(ReadyHandler handler) {
        int delivered = 0;
        // Acquire: the CQEs below the tail were written before the kernel published it.
        int tail = cqRing.getIntAcquire(layout.cqTail);
        while (cqHead != tail && !closed) {
            int off = layout.cqeOffset(cqHead, cqMask);
            long data = cqRing.getLong(off + IoUringRingLayout.CQE_USER_DATA);
            int res = cqRing.getInt(off + IoUringRingLayout.CQE_RES);
            int flags = cqRing.getInt(off + IoUringRingLayout.CQE_FLAGS);
            // Release: the reads above happen before the kernel may reuse the slot. Per CQE, because
            // the handler may run for a while and the slot is free as soon as it is read.
            cqRing.putIntRelease(layout.cqHead, ++cqHead);
            if (complete(data, res, flags, handler)) {
                delivered++;
            }
        }
        return delivered;
    }

    private boolean complete(long data, int res, int flags, ReadyHandler handler) {
        boolean more = (flags & Native.IORING_CQE_F_MORE) != 0;
        if (data == WAKEUP_DATA) {
            onWakeupCompletion(res, more);
            return false;
        }
        // POLL_REMOVE results and completions of ended registrations (or of a reused fd number) are dropped.
        if (data == REMOVE_DATA || !registrations.isCurrent(data)) {
            return false;
        }
        int fd = FdRegistrations.fdOf(data);
        int events;
        if (res < 0) {
            // The arm failed or was cancelled by someone else; a re-arm would fail the same way, so the
            // owner hears about it and decides (a channel closes on EPOLLERR).
            events = Native.EPOLLERR;
        } else {
            events = res & interest[fd];
            if (!more && !queuePollAdd(fd, interest[fd], data)) {
                // Cannot happen while submit() works; report rather than silently lose the fd's readiness.
                events |= Native.EPOLLERR;
            }
        }
        if (events == 0) {
            return false;
        }
        handler.ready(registrations.token(data), events);
        return true;
    }

    private void onWakeupCompletion(int res, boolean more) {
        wakeupCompletions++;
        if (more) {
            wakeupMultishotSeen = true;
        } else if (res >= 0 && !closed) {
            armWakeup();
        }
        if (wakeupCompletions % WAKEUP_READ_INTERVAL == 0) {
            // Every write adds to the counter and every write posts a completion regardless of its value.
            Native.eventFdRead(wakeupFd);
        }
    }

    @Override
    public boolean hasReady() {
        if (closed) {
            return false;
        }
        int tail = cqRing.getIntAcquire(layout.cqTail);
        // Peeks (without consuming) past completions drain() would drop: wakeups, removals, ended registrations.
        for (int head = cqHead; head != tail; head++) {
            if (isDeliverable(layout.cqeOffset(head, cqMask))) {
                return true;
            }
        }
        return (sqRing.getIntAcquire(layout.sqFlags) & kernelPendingFlags) != 0;
    }

    private boolean isDeliverable(int off) {
        long data = cqRing.getLong(off + IoUringRingLayout.CQE_USER_DATA);
        if (data == WAKEUP_DATA || data == REMOVE_DATA || !registrations.isCurrent(data)) {
            return false;
        }
        int res = cqRing.getInt(off + IoUringRingLayout.CQE_RES);
        return res < 0 || (res & interest[FdRegistrations.fdOf(data)]) != 0;
    }

    @Override
    public void park(long timeoutNanos) throws IOException {
        ensureOpen();
        if (WAKEUP_STATE.getAndSet(this, WAKEUP_IDLE) != WAKEUP_IDLE || timeoutNanos == 0
                || cqRing.getIntAcquire(layout.cqTail) != cqHead) {
            if (sqTail != sqRing.getIntAcquire(layout.sqHead)) {
                Errno.check("io_uring_enter", submit());
            }
            return;
        }
        int toSubmit = sqTail - sqRing.getIntAcquire(layout.sqHead);
        int res = Native.ioUringEnter(ringFd, toSubmit, 1, Native.IORING_ENTER_GETEVENTS,
                timeoutNanos < 0 ? -1 : timeoutNanos);
        // A wakeup() racing with the return counts for this park; one after this line ends the next park.
        wakeupState = WAKEUP_IDLE;
        if (res < 0 && res != -Native.ETIME && res != -Native.EINTR) {
            throw Errno.ioException("io_uring_enter", res);
        }
        if (sqTail != sqRing.getIntAcquire(layout.sqHead)) {
            Errno.check("io_uring_enter", submit());
        }
    }

    @Override
    public void wakeup() {
        // The plain read first: while a wakeup is pending, further ones cost neither a CAS nor a syscall.
        if (wakeupState == WAKEUP_IDLE && WAKEUP_STATE.compareAndSet(this, WAKEUP_IDLE, WAKEUP_WRITTEN)) {
            Native.eventFdWrite(wakeupFd, 1);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeupState = WAKEUP_CLOSED;
        // Closing the ring fd ends every arm in the kernel; the registered fds are the caller's.
        sqes.close();
        cqRing.close();
        sqRing.close();
        Native.close(ringFd);
        Native.close(wakeupFd);
    }

    /** POLL_ADD submissions for registered fds so far (initial arms and re-arms). */
    long armCount() {
        return armCount;
    }

    IoUringRingLayout layout() {
        return layout;
    }

    /** The SQ ring flags as the kernel last set them. */
    int sqFlagsForTest() {
        return sqRing.getIntAcquire(layout.sqFlags);
    }

    private void armWakeup() {
        queueSqe(pollAddOp, wakeupFd, 0, Native.IORING_POLL_ADD_MULTI, Native.EPOLLIN, WAKEUP_DATA);
    }

    private boolean queuePollAdd(int fd, int events, long data) {
        if (!queueSqe(pollAddOp, fd, 0, Native.IORING_POLL_ADD_MULTI, events, data)) {
            return false;
        }
        armCount++;
        return true;
    }

    /** Writes one SQE and publishes it; when the SQ is full, submits what is queued first. */
    private boolean queueSqe(int opcode, int fd, long addr, int len, int opFlags, long userData) {
        if (sqTail - sqRing.getIntAcquire(layout.sqHead) == sqCapacity) {
            submit();
            if (sqTail - sqRing.getIntAcquire(layout.sqHead) == sqCapacity) {
                return false;
            }
        }
        int off = IoUringRingLayout.sqeOffset(sqTail & sqMask);
        for (int i = 0; i < IoUringRingLayout.SQE_SIZE; i += Long.BYTES) {
            sqes.putLong(off + i, 0L);
        }
        sqes.putByte(off + IoUringRingLayout.SQE_OPCODE, (byte) opcode);
        sqes.putInt(off + IoUringRingLayout.SQE_FD, fd);
        sqes.putLong(off + IoUringRingLayout.SQE_ADDR, addr);
        sqes.putInt(off + IoUringRingLayout.SQE_LEN, len);
        sqes.putInt(off + IoUringRingLayout.SQE_OP_FLAGS, opFlags);
        sqes.putLong(off + IoUringRingLayout.SQE_USER_DATA, userData);
        // Release: the SQE's fields are visible before the kernel can see the new tail.
        sqRing.putIntRelease(layout.sqTail, ++sqTail);
        return true;
    }

    /**
     * Hands every queued SQE to the kernel. Returns how many it took, or -errno. Without SQPOLL the
     * kernel consumes them during the call; a failing SQE is consumed too and its error is a CQE.
     */
    private int submit() {
        int submitted = 0;
        for (;;) {
            int pending = sqTail - sqRing.getIntAcquire(layout.sqHead);
            if (pending == 0) {
                return submitted;
            }
            int res = Native.ioUringEnter(ringFd, pending, 0, 0, -1);
            if (res == -Native.EINTR) {
                continue;
            }
            if (res <= 0) {
                return res < 0 ? res : submitted;
            }
            submitted += res;
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("io_uring ring source is closed");
        }
    }

    private static int setup(int sqEntries, int cqEntries, int flags, long[] out) {
        int base = Native.IORING_SETUP_CLAMP;
        int res = Native.ioUringSetup(sqEntries, base | flags, cqEntries, out);
        // Older kernels refuse flags they do not know with EINVAL: drop them, newest first.
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

    /** The setup flags named by {@value #SETUP_FLAGS_PROPERTY} (default {@value #DEFAULT_SETUP_FLAGS}). */
    static int configuredSetupFlags() {
        return parseSetupFlags(SystemPropertyUtil.get(SETUP_FLAGS_PROPERTY, DEFAULT_SETUP_FLAGS));
    }

    static int parseSetupFlags(String value) {
        int flags = 0;
        for (String part : value.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "default":
                case "none":
                case "":
                    break;
                case "coop":
                    flags |= Native.IORING_SETUP_COOP_TASKRUN;
                    break;
                case "taskrun":
                    // TASKRUN_FLAG is only accepted together with COOP_TASKRUN (or DEFER_TASKRUN, never used).
                    flags |= Native.IORING_SETUP_COOP_TASKRUN | Native.IORING_SETUP_TASKRUN_FLAG;
                    break;
                default:
                    throw new IllegalArgumentException("-D" + SETUP_FLAGS_PROPERTY + "=" + value
                            + ": unknown flag '" + name + "'; valid: default, coop, taskrun");
            }
        }
        return flags;
    }

    static int sqEntriesFor(int ringSize) {
        return Math.max(8, Math.min(MAX_SQ_ENTRIES, ringSize / 4));
    }

    static int cqEntriesFor(int ringSize) {
        return Math.max(2 * sqEntriesFor(ringSize), 2 * ringSize);
    }

    private static String errnoName(int negativeErrno) {
        int e = -negativeErrno;
        if (e == Native.EPERM) {
            return "EPERM (blocked, for example by a seccomp profile)";
        }
        if (e == Native.ENOMEM) {
            return "ENOMEM (locked-memory limit or memory pressure)";
        }
        if (e == Native.ENOSYS) {
            return "ENOSYS (kernel without io_uring)";
        }
        if (e == Native.EINVAL) {
            return "EINVAL";
        }
        return "errno " + e;
    }
}
