package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.Errors;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.util.Arrays;

/**
 * The io_uring ring source: the kernel writes readiness into the CQ ring, fed by one multishot
 * {@code IORING_OP_POLL_ADD} per fd (edge-triggered), and the loop reads it with plain loads. The
 * loop enters the kernel only to submit (registration, deregistration, the rare re-arm), to sleep,
 * and when the SQ ring flags say completions are waiting in the kernel (CQ overflow, task work).
 * <p>Every arm carries the {@link FdRegistrations} data word as {@code user_data}, so completions of
 * an ended registration or of a reused fd number are dropped. A CQE without {@code IORING_CQE_F_MORE}
 * means the kernel ended the arm (for example when the CQ ring was full): a current registration is
 * armed again with the same data word. {@link #wakeup()} writes an eventfd armed the same way.
 * <p>With batched I/O the loop's recvs and sendmsgs go into this same ring ({@link #openSocketBatch}): every
 * {@code io_uring_enter} of a pass (the park, or a flush when the loop will not park) submits them with the
 * poll arms, and {@link #drain} routes their completions to the batch. One ring, one enter per pass. What serves
 * the batch (every submit, the park with queued sends, the completions' routing) is a {@link SharedRingBatchDriver}.
 */
public final class IoUringPollRing extends CompletionsFirstRingSource {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(IoUringPollRing.class);
    /** Wakeup completions between two reads of the eventfd (its counter only needs to stay bounded). */
    private static final int WAKEUP_READ_INTERVAL = 1024;
    /** Flag checks per drain: each may flush at most a CQ ring's worth of overflowed completions. */
    private static final int MAX_FLUSHES_PER_DRAIN = 8;

    /** This loop's counters; the ring counts its enters here, by the reason given with each. */
    private final LoopCounters counters = new LoopCounters();
    private final IoUringRing ring;
    private final IoUringRingLayout layout;
    private final EventFdWaker waker;
    private final int pollAddOp;
    /**
     * Ends an fd's multishot arm. {@code IORING_OP_ASYNC_CANCEL}, not {@code POLL_REMOVE}: a remove finds the arm
     * but gives up with {@code -EALREADY} when a wakeup of that arm is still pending in task work (the kernel owns
     * the arm until the task work runs), and the arm then lives on, holding the file: a closed socket's peer never
     * sees its FIN (measured: Unix-domain StartTLS, a client closing right after its last write). A cancel marks the
     * arm cancelled whoever owns it, and the pending task work completes it.
     */
    private final int cancelOp;
    /** Flags that say completions wait in the kernel: CQ overflow, and task work under TASKRUN_FLAG. */
    private final int kernelPendingFlags;

    private final FdRegistrations registrations = new FdRegistrations();
    /** Poll events of each registered fd, indexed by fd, for re-arming. */
    private int[] interest = new int[256];

    /** Every submit of this ring, and the loop's batched socket I/O in it once opened. */
    private final SharedRingBatchDriver batchDriver;
    /** Whether {@link #initialize()} registers the ring fd with the loop thread. */
    boolean registerRingFd = true;
    private boolean draining;
    /** Arms queued by handlers during a drain, submitted together at its end. */
    private int armsQueuedInDrain;
    private boolean closed;
    private long armCount;
    private int wakeupCompletions;
    private boolean wakeupMultishotSeen;

    /** Opens a ring sized for {@code ringSize} ready events per drain, for a loop that parks. */
    public IoUringPollRing(int ringSize) throws IOException {
        this(ringSize, false);
    }

    /**
     * Opens a ring sized for {@code ringSize} ready events per drain, with the configured setup flags (by
     * default {@code coop,taskrun} when the loop spins on the ring, else {@code coop}).
     */
    public IoUringPollRing(int ringSize, boolean spinning) throws IOException {
        this(IoUringSetup.sqEntriesFor(ringSize), IoUringSetup.cqEntriesFor(ringSize),
                IoUringSetup.configuredSetupFlags(spinning), spinning);
    }

    /** Opens a ring sized for {@code ringSize} with the named setup flags ({@code null}: by idle policy). */
    IoUringPollRing(int ringSize, boolean spinning, String setupFlagNames) throws IOException {
        this(IoUringSetup.sqEntriesFor(ringSize), IoUringSetup.cqEntriesFor(ringSize),
                IoUringSetup.setupFlags(setupFlagNames, spinning), spinning);
    }

    IoUringPollRing(int sqEntries, int cqEntries, int setupFlags) throws IOException {
        this(sqEntries, cqEntries, setupFlags, false);
    }

    private IoUringPollRing(int sqEntries, int cqEntries, int setupFlags, boolean spinning) throws IOException {
        IoUringRing r = IoUringRing.open("io_uring", sqEntries, cqEntries, setupFlags, counters);
        EventFdWaker efd;
        try {
            if (!r.layout.hasFeature(Native.IORING_FEAT_EXT_ARG)) {
                throw new IOException("io_uring is unavailable: the kernel lacks IORING_FEAT_EXT_ARG"
                        + " (timed waits need Linux 5.11 or later)");
            }
            efd = EventFdWaker.open(counters);
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        ring = r;
        layout = r.layout;
        batchDriver = new SharedRingBatchDriver(r, counters, spinning);
        waker = efd;
        pollAddOp = Native.IORING_OP_POLL_ADD;
        cancelOp = Native.IORING_OP_ASYNC_CANCEL;
        kernelPendingFlags = Native.IORING_SQ_CQ_OVERFLOW
                | ((layout.setupFlags & Native.IORING_SETUP_TASKRUN_FLAG) != 0 ? Native.IORING_SQ_TASKRUN : 0);
        try {
            armWakeup();
            Errno.check("io_uring_enter", batchDriver.submit(LoopCounters.REGISTER));
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
        try (IoUringPollRing ring = new IoUringPollRing(2, 4, IoUringSetup.configuredSetupFlags(true), true)) {
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
        } catch (Errors.NativeIoException e) {
            // The ring was set up but a later call was refused (io_uring_enter under a seccomp profile that lets
            // io_uring_setup through): name the errno and what usually causes it, as a refused set-up does.
            return new IOException("io_uring is unavailable: " + e.getMessage() + " (" + Errno.describe(e.expectedErr())
                    + ')', e);
        } catch (Throwable t) {
            return t;
        }
    }

    @Override
    public String name() {
        return RingSources.IO_URING;
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
        if (draining) {
            armsQueuedInDrain++;
        } else {
            Errno.check("io_uring_enter", batchDriver.submit(LoopCounters.REGISTER));
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
        // file reference. It names the arm by its data word, not by the fd, so the caller may close the fd and its
        // number may be reused at once. Outside a drain it goes to the kernel now; inside one (a channel closed by
        // what a completion or an event ran) it goes with the drain's closing submit, microseconds later and before
        // the loop can sleep: a connection's close then costs no enter of its own, and the file (the peer's FIN)
        // is released at the end of the drain.
        if (!queueSqe(cancelOp, -1, data, 0, 0, UserData.REMOVAL)) {
            throw new IOException("io_uring submission queue is full and could not be submitted (fd " + fd + ')');
        }
        if (draining) {
            armsQueuedInDrain++;
        } else {
            Errno.check("io_uring_enter", batchDriver.submit(LoopCounters.REGISTER));
        }
    }

    /**
     * Nothing apart: the batch's completions share the CQ with readiness, and a send a park submitted completes during
     * that submit, so its CQE precedes any readiness posted after it; {@link #drainReadiness} keeps CQ order.
     */
    @Override
    int completeParked() {
        return 0;
    }

    @Override
    int drainReadiness(ReadyHandler handler) {
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
                ring.enter(0, 0, Native.IORING_ENTER_GETEVENTS, -1, LoopCounters.POLL);
            }
        } finally {
            draining = false;
        }
        if (armsQueuedInDrain != 0) {
            // Registrations and re-arms queued during the batch; errors come back as CQEs or on the next submit.
            // Socket operations queued beside them go along (they would otherwise wait for the next pass's enter);
            // every submit goes through the batch's driver, so the batch learns which of its operations are in flight.
            armsQueuedInDrain = 0;
            batchDriver.submit();
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
        if (UserData.isOperation(data)) {
            return batchDriver.complete(data, res); // a final class: one monomorphic call per operation completion
        }
        boolean more = (flags & Native.IORING_CQE_F_MORE) != 0;
        if (data == UserData.WAKEUP) {
            onWakeupCompletion(res, more);
            return false;
        }
        // Cancel results and completions of ended registrations (or of a reused fd number) are dropped.
        if (!registrations.isCurrent(data)) {
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
            if (!more) {
                if (!queuePollAdd(fd, interest[fd], data)) {
                    // Cannot happen while submit() works; report rather than silently lose the fd's readiness.
                    events |= Native.EPOLLERR;
                } else {
                    armsQueuedInDrain++;
                }
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
            waker.clearCounter();
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
        if (UserData.isOperation(data)) {
            return batchDriver.isAwaited(data);
        }
        if (!registrations.isCurrent(data)) {
            return false;
        }
        int res = ring.cqeRes(head);
        return res < 0 || (res & interest[FdRegistrations.fdOf(data)]) != 0;
    }

    @Override
    public void park(long timeoutNanos) throws IOException {
        ensureOpen();
        if (waker.reset() || timeoutNanos == 0 || ring.cqTail() != ring.cqHead()) {
            flush();
            return;
        }
        ring.publish();
        long timeout = timeoutNanos < 0 ? -1 : timeoutNanos;
        // With sends queued the park submits them and waits at most the batch's window (SharedRingBatchDriver).
        int res = batchDriver.queued() == 0
                ? ring.enter(ring.sqPending(), 1, Native.IORING_ENTER_GETEVENTS, timeout, LoopCounters.PARK)
                : batchDriver.parkSubmitting(timeout);
        // A wakeup() racing with the return counts for this park; one after this line ends the next park.
        waker.reset();
        if (res < 0 && res != -Native.ETIME && res != -Native.EINTR) {
            throw Errno.ioException("io_uring_enter", res);
        }
        flush();
    }

    /** Registers the ring fd with the loop thread: every enter of this loop (one per pass) skips the fd lookup. */
    @Override
    public void initialize() {
        if (!registerRingFd) {
            return;
        }
        int res = ring.registerWithCurrentThread();
        if (res < 0) {
            logger.debug("io_uring ring fd not registered with the loop thread ({}): enters go by the fd",
                    Errno.describe(res));
        }
    }

    /** Whether the loop thread registered the ring fd (tests). */
    boolean isRingFdRegistered() {
        return ring.isRegisteredWithThread();
    }

    /** Hands every SQE written so far (arms, and the batch's socket operations) to the kernel, without waiting. */
    @Override
    public void flush() throws IOException {
        if (!closed && ring.sqPending() != 0) {
            Errno.check("io_uring_enter", batchDriver.submit());
        }
    }

    /** Sends only, within the batch's park window, in a loop that parks ({@link SharedRingBatchDriver}). */
    @Override
    public boolean canParkWithQueuedIo() {
        return batchDriver.canParkWithQueuedIo();
    }

    /** The loop's batched socket I/O, in this ring: one ring and one enter per pass. */
    @Override
    public IoUringSocketBatch openSocketBatch(int entries, int parkWindowMicros) throws IOException {
        return batchDriver.open(entries, parkWindowMicros);
    }

    @Override
    public LoopCounters counters() {
        return counters;
    }

    @Override
    public void wakeup() {
        // Coalesced until a park takes it; never a write once close() has returned.
        waker.wakeup();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        batchDriver.close();
        // Closing the ring fd ends every arm in the kernel; the registered fds are the caller's.
        ring.close();
        waker.close();
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
        queueSqe(pollAddOp, waker.fd(), 0, Native.IORING_POLL_ADD_MULTI, Native.EPOLLIN, UserData.WAKEUP);
    }

    /** Writes and publishes one SQE; when the SQ is full, submits what is queued first. */
    private boolean queueSqe(int opcode, int fd, long addr, int len, int opFlags, long userData) {
        if (ring.sqPending() == ring.sqCapacity()) {
            batchDriver.submit();
        }
        if (ring.writeSqe(opcode, fd, addr, len, opFlags, userData) < 0) {
            return false;
        }
        ring.publish();
        return true;
    }

    private boolean queuePollAdd(int fd, int events, long data) {
        if (!queueSqe(pollAddOp, fd, 0, Native.IORING_POLL_ADD_MULTI, events, data)) {
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
}
