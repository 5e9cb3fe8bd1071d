package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.internal.UserpollProperties;

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
    static final String SETUP_FLAGS_PROPERTY = UserpollProperties.IO_URING_SETUP_FLAGS;
    /**
     * COOP_TASKRUN. Without it the kernel interrupts the loop with an IPI to post each multishot poll's CQE
     * (the HTTP benchmark: 23% of server samples, CPU per request 1.3-2x); with it the task work runs on the
     * way out of the loop's next system call: its recv/send or batch submit, or the park, which returns at
     * once when the task work posted something.
     */
    private static final String DEFAULT_SETUP_FLAGS = "coop";
    /**
     * For a loop that spins on the ring: TASKRUN_FLAG also tells it, through the SQ flags, that task work
     * waits and it must enter the kernel to see it (drain and hasReady() watch IORING_SQ_TASKRUN). A parked
     * loop gains nothing from it and pays an enter per pass (HTTP benchmark, batched: 1.42 against 1.26
     * system calls per request at 16 connections).
     */
    private static final String SPINNING_SETUP_FLAGS = "coop,taskrun";

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

    private final IoUringRing ring;
    private final IoUringRingLayout layout;
    private final int wakeupFd;
    private final int pollAddOp;
    private final int pollRemoveOp;
    /** Flags that say completions wait in the kernel: CQ overflow, and task work under TASKRUN_FLAG. */
    private final int kernelPendingFlags;

    private final FdRegistrations registrations = new FdRegistrations();
    /** Poll events of each registered fd, indexed by fd, for re-arming. */
    private int[] interest = new int[256];

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

    /** Opens a ring sized for {@code ringSize} ready events per drain, for a loop that parks. */
    public IoUringPollRing(int ringSize) throws IOException {
        this(ringSize, false);
    }

    /**
     * Opens a ring sized for {@code ringSize} ready events per drain, with the configured setup flags (by
     * default {@value #SPINNING_SETUP_FLAGS} when the loop spins on the ring, else {@value #DEFAULT_SETUP_FLAGS}).
     */
    public IoUringPollRing(int ringSize, boolean spinning) throws IOException {
        this(sqEntriesFor(ringSize), cqEntriesFor(ringSize), configuredSetupFlags(spinning));
    }

    IoUringPollRing(int sqEntries, int cqEntries, int setupFlags) throws IOException {
        IoUringRing r = IoUringRing.open("io_uring", sqEntries, cqEntries, setupFlags);
        int efd = -1;
        try {
            if (!r.layout.hasFeature(Native.IORING_FEAT_EXT_ARG)) {
                throw new IOException("io_uring is unavailable: the kernel lacks IORING_FEAT_EXT_ARG"
                        + " (timed waits need Linux 5.11 or later)");
            }
            efd = Errno.check("eventfd", Native.eventFd());
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        ring = r;
        layout = r.layout;
        wakeupFd = efd;
        pollAddOp = Native.IORING_OP_POLL_ADD;
        pollRemoveOp = Native.IORING_OP_POLL_REMOVE;
        kernelPendingFlags = Native.IORING_SQ_CQ_OVERFLOW
                | ((layout.setupFlags & Native.IORING_SETUP_TASKRUN_FLAG) != 0 ? Native.IORING_SQ_TASKRUN : 0);
        try {
            armWakeup();
            Errno.check("io_uring_enter", ring.submit());
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
        try (IoUringPollRing ring = new IoUringPollRing(2, 4, configuredSetupFlags(true))) {
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
            Errno.check("io_uring_enter", ring.submit());
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
        if (!ring.queueSqe(pollRemoveOp, -1, data, 0, 0, REMOVE_DATA)) {
            throw new IOException("io_uring submission queue is full and could not be submitted (fd " + fd + ')');
        }
        Errno.check("io_uring_enter", ring.submit());
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
                        || (ring.sqFlags() & kernelPendingFlags) == 0) {
                    break;
                }
                // Flushes the overflow list into the CQ ring and runs pending task work; never waits.
                ring.enter(0, 0, Native.IORING_ENTER_GETEVENTS, -1);
            }
        } finally {
            draining = false;
        }
        if (ring.sqPending() != 0) {
            // Registrations and re-arms queued during the batch; errors come back as CQEs or on the next submit.
            ring.submit();
        }
        return delivered;
    }

    private int drainCompletions(ReadyHandler handler) {
        int delivered = 0;
        // Acquire: the CQEs below the tail were written before the kernel published it.
        int tail = ring.cqTail();
        while (ring.cqHead() != tail && !closed) {
            int head = ring.cqHead();
            long data = ring.cqeUserData(head);
            int res = ring.cqeRes(head);
            int flags = ring.cqeFlags(head);
            // Per CQE, because the handler may run for a while and the slot is free as soon as it is read.
            ring.advanceCq();
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
        int tail = ring.cqTail();
        // Peeks (without consuming) past completions drain() would drop: wakeups, removals, ended registrations.
        for (int head = ring.cqHead(); head != tail; head++) {
            if (isDeliverable(head)) {
                return true;
            }
        }
        return (ring.sqFlags() & kernelPendingFlags) != 0;
    }

    private boolean isDeliverable(int head) {
        long data = ring.cqeUserData(head);
        if (data == WAKEUP_DATA || data == REMOVE_DATA || !registrations.isCurrent(data)) {
            return false;
        }
        int res = ring.cqeRes(head);
        return res < 0 || (res & interest[FdRegistrations.fdOf(data)]) != 0;
    }

    @Override
    public void park(long timeoutNanos) throws IOException {
        ensureOpen();
        if (WAKEUP_STATE.getAndSet(this, WAKEUP_IDLE) != WAKEUP_IDLE || timeoutNanos == 0
                || ring.cqTail() != ring.cqHead()) {
            if (ring.sqPending() != 0) {
                Errno.check("io_uring_enter", ring.submit());
            }
            return;
        }
        ring.publish();
        int res = ring.enter(ring.sqPending(), 1, Native.IORING_ENTER_GETEVENTS,
                timeoutNanos < 0 ? -1 : timeoutNanos);
        // A wakeup() racing with the return counts for this park; one after this line ends the next park.
        wakeupState = WAKEUP_IDLE;
        if (res < 0 && res != -Native.ETIME && res != -Native.EINTR) {
            throw Errno.ioException("io_uring_enter", res);
        }
        if (ring.sqPending() != 0) {
            Errno.check("io_uring_enter", ring.submit());
        }
    }

    /** The ring's fd polls readable while its CQ holds completions, which a wakeup's eventfd arm also posts. */
    @Override
    public int parkFd() {
        return closed ? -1 : ring.fd;
    }

    @Override
    public boolean beginExternalPark() {
        if (closed || WAKEUP_STATE.getAndSet(this, WAKEUP_IDLE) != WAKEUP_IDLE || ring.cqTail() != ring.cqHead()) {
            return false;
        }
        // Arms queued outside a drain must be in the kernel before the loop sleeps on their completions.
        return ring.sqPending() == 0 || ring.submit() >= 0;
    }

    @Override
    public void endExternalPark() {
        // As after park(): a wakeup() racing with the return counts for this park; later ones end the next.
        if (!closed) {
            wakeupState = WAKEUP_IDLE;
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
        ring.close();
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
        return ring.sqFlags();
    }

    private void armWakeup() {
        ring.queueSqe(pollAddOp, wakeupFd, 0, Native.IORING_POLL_ADD_MULTI, Native.EPOLLIN, WAKEUP_DATA);
    }

    private boolean queuePollAdd(int fd, int events, long data) {
        if (!ring.queueSqe(pollAddOp, fd, 0, Native.IORING_POLL_ADD_MULTI, events, data)) {
            return false;
        }
        armCount++;
        return true;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("io_uring ring source is closed");
        }
    }

    /** The setup flags named by {@value #SETUP_FLAGS_PROPERTY}, else the default for a loop that does or does not spin. */
    static int configuredSetupFlags(boolean spinning) {
        return setupFlags(configuredSetupFlagNames(), spinning);
    }

    /** What {@value #SETUP_FLAGS_PROPERTY} (or its environment variable) names, or {@code null} when unset. */
    static String configuredSetupFlagNames() {
        UserpollProperties.Setting configured = UserpollProperties.system()
                .get(SETUP_FLAGS_PROPERTY, UserpollProperties.IO_URING_SETUP_FLAGS_ENV);
        return configured == null ? null : configured.value();
    }

    /** The setup flags {@code named} (a loop's configuration), or for {@code null} the default by idle policy. */
    static int setupFlags(String named, boolean spinning) {
        return parseSetupFlags(named != null ? named : spinning ? SPINNING_SETUP_FLAGS : DEFAULT_SETUP_FLAGS);
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
}
