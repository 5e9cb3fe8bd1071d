package dev.userpoll.transport;

import dev.userpoll.transport.io.Submitter;
import dev.userpoll.transport.ring.IoUringSocketBatch;
import dev.userpoll.transport.ring.ReadyHandler;
import dev.userpoll.transport.ring.RingSource;
import dev.userpoll.transport.ring.RingSourceKind;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.unix.IovArray;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Netty {@link IoHandler} that drains a kernel-written readiness ring. Each pass: drain every ready
 * event into the registered handles, then serve the user-space ready list (handles that stopped
 * before {@code EAGAIN}); enter the kernel only to park, and only when the ring is empty, nothing is
 * on the ready list and Netty says the loop may block.
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(n, UserpollIoHandler.newFactory());
 * }</pre>
 * {@link #newFactory(UserpollIoHandlerConfig)} takes the ring source, ring size, idle policy and I/O submitter.
 */
public final class UserpollIoHandler implements IoHandler {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UserpollIoHandler.class);

    private static final int AWAKE = 0;
    /** Spinning on the ring: a waker only flips the state, no system call needed. */
    private static final int SPINNING = 1;
    /** About to park or parked: a waker must reach the kernel. */
    private static final int PARKING = 2;

    /** Consecutive failed passes after which the ring source is given up (closed, its channels failed). */
    static final int MAX_CONSECUTIVE_SOURCE_FAILURES = 3;
    /** The first back-off after a failed pass; each further one doubles, up to {@link #MAX_BACKOFF_NANOS}. */
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ThreadAwareExecutor executor;
    private final RingSource source;
    private final IdlePolicy idlePolicy;
    /** How this loop's channels do their socket I/O (DESIGN.md 4b). */
    private final Submitter submitter;
    private final IoSubmitter submitterKind;
    /** Passes in a row that the source failed; 0 after a good pass. */
    private int consecutiveFailures;
    /** Why the ring source was given up, or null while it works. */
    private volatile Throwable sourceFailure;
    /** The loop's thread once it has run, so that a wakeup can reach a loop whose source was given up. */
    private volatile Thread loopThread;
    /** AWAKE, SPINNING or PARKING: only PARKING makes {@link #wakeup()} enter the kernel. */
    private final AtomicInteger idleState = new AtomicInteger(AWAKE);

    private UserpollIoRegistration[] slots = new UserpollIoRegistration[64];
    private int[] generations = new int[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int slotLimit;

    /** The gathering-write vector every channel of this loop fills in turn. */
    private final IovArray iovArray = new IovArray();
    /** What the ring source delivers to; not the handler itself, so no one else can inject readiness. */
    private final ReadyHandler readyHandler = this::ready;

    private UserpollIoRegistration readyHead;
    private UserpollIoRegistration readyTail;
    private int handledThisPass;
    private boolean destroyed;

    private UserpollIoHandler(ThreadAwareExecutor executor, RingSource source, UserpollIoHandlerConfig config,
                              IoUringSocketBatch batch) {
        this.executor = executor;
        this.source = source;
        this.idlePolicy = config.getIdlePolicy();
        this.submitter = batch == null ? Submitter.direct() : Submitter.batched(batch);
        this.submitterKind = batch == null ? IoSubmitter.DIRECT : IoSubmitter.BATCHED;
    }

    /**
     * A factory configured by the {@code userpoll.*} system properties (else {@code USERPOLL_*} environment
     * variables), else the defaults: the best ring source this machine has (userpoll, then io_uring, then epoll)
     * and the best I/O submitter. See {@link UserpollIoHandlerConfig#fromSystemProperties()}.
     */
    public static IoHandlerFactory newFactory() {
        return newFactory(UserpollIoHandlerConfig.fromSystemProperties());
    }

    /**
     * A factory whose loops follow {@code config}, copied now: changing the config later changes no loop.
     *
     * @throws IllegalStateException when the ring source or I/O submitter is unavailable here (with the cause)
     */
    public static IoHandlerFactory newFactory(UserpollIoHandlerConfig config) {
        ObjectUtil.checkNotNull(config, "config");
        Userpoll.ensureAvailability();
        UserpollIoHandlerConfig c = config.resolved();
        RingSourceKind kind = c.getRingSource();
        Throwable cause = kind.unavailabilityCause();
        if (cause != null) {
            throw new IllegalStateException("ring source " + kind.configName() + " is unavailable: " + cause, cause);
        }
        boolean spinning = c.getIdlePolicy().spinNanos() > 0;
        return newFactory(c, () -> kind.open(c.getRingSize(), spinning, c.getIoUringSetupFlags()));
    }

    /** Opens a ring source for each new loop. */
    @FunctionalInterface
    interface RingSourceOpener {
        RingSource open() throws IOException;
    }

    /**
     * A factory over any ring source (tests wrap one to count or refuse what the loop asks of it). The config's
     * ring source, ring size and setup flags are the opener's business; a {@code null} submitter is the best.
     */
    static IoHandlerFactory newFactory(UserpollIoHandlerConfig config, RingSourceOpener opener) {
        UserpollIoHandlerConfig c = config.copy();
        if (c.getIoSubmitter() == null) {
            c.setIoSubmitter(IoSubmitter.BATCHED.isAvailable() ? IoSubmitter.BATCHED : IoSubmitter.DIRECT);
        }
        IoSubmitter submitter = c.getIoSubmitter();
        Throwable submitterCause = submitter.unavailabilityCause();
        if (submitterCause != null) {
            throw new IllegalStateException("I/O submitter " + submitter.configName() + " is unavailable: "
                    + submitterCause, submitterCause);
        }
        return executor -> {
            RingSource source;
            try {
                source = opener.open();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open ring source", e);
            }
            IoUringSocketBatch batch = null;
            if (submitter == IoSubmitter.BATCHED) {
                try {
                    // In the source's own io_uring where it has one: one ring, one enter per pass.
                    batch = source.openSocketBatch(c.getBatchEntries(), c.getBatchParkWindowMicros());
                } catch (IOException e) {
                    source.close();
                    throw new UncheckedIOException("cannot open the batched I/O ring", e);
                }
            }
            return new UserpollIoHandler(executor, source, c, batch);
        };
    }

    /** The first available of userpoll, io_uring, epoll. */
    public static RingSourceKind bestAvailableSource() {
        Userpoll.ensureAvailability();
        for (RingSourceKind kind : RingSourceKind.values()) {
            if (kind.isAvailable()) {
                return kind;
            }
        }
        throw new IllegalStateException("no ring source available", Userpoll.unavailabilityCause());
    }

    /** The ring source this loop drains. */
    public RingSourceKind ringSource() {
        return source.kind();
    }

    /** How this loop's channels do their reads and writes. */
    public IoSubmitter ioSubmitter() {
        return submitterKind;
    }

    @Override
    public void initialize() {
        source.initialize(); // on the loop thread: what the source binds to it (io_uring: its registered ring fd)
    }

    /**
     * One pass: park if there is nothing to do (the park hands what the last pass queued to the kernel: arms and,
     * on the io_uring source, the batch's socket operations), else hand it over without waiting; drain the ring
     * (readiness, and the batch's completions where the batch shares the ring); serve the ready list; let a batch
     * with a ring of its own submit and deliver. A failing source backs the loop off and, failing on, is given up.
     */
    @Override
    public int run(IoHandlerContext context) {
        if (sourceFailure != null) {
            return idleWithoutSource(context);
        }
        handledThisPass = 0;
        try {
            if (context.canBlock() && readyHead == null && submitter.mayPark(source) && !source.hasReady()) {
                idle(context);
            } else {
                source.flush();
            }
            source.drain(readyHandler);
            serveReadyList();
            handledThisPass += submitter.completePass();
            consecutiveFailures = 0;
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            sourceFailed(t);
        }
        return handledThisPass;
    }

    /**
     * A pass failed in the ring source (a corrupt ring, a refused system call): back off as Netty's loops do, so
     * a source that keeps failing neither spins the loop nor floods the log; give it up after a few passes.
     */
    private void sourceFailed(Throwable t) {
        consecutiveFailures++;
        if (consecutiveFailures >= MAX_CONSECUTIVE_SOURCE_FAILURES) {
            logger.error("The {} ring source failed {} passes in a row; closing it and every channel of this loop.",
                    source.kind().configName(), consecutiveFailures, t);
            giveUpSource(t);
            return;
        }
        long backoff = Math.min(MAX_BACKOFF_NANOS, MIN_BACKOFF_NANOS << (consecutiveFailures - 1));
        logger.warn("Unexpected exception in the userpoll event loop; backing off {} ms.",
                TimeUnit.NANOSECONDS.toMillis(backoff), t);
        LockSupport.parkNanos(backoff); // a wakeup cannot end it: the point is not to come straight back
    }

    /** Closes every registered channel (their fds with them) and the source; later registrations fail. */
    private void giveUpSource(Throwable cause) {
        loopThread = Thread.currentThread();
        sourceFailure = cause;
        closeRegisteredHandles();
        try {
            submitter.close();
            source.close();
        } catch (Throwable t) {
            logger.debug("Failed to close the failed ring source", t);
        }
    }

    /** After the source was given up the loop still runs tasks: sleep until the next one, a wakeup or a deadline. */
    private int idleWithoutSource(IoHandlerContext context) {
        loopThread = Thread.currentThread();
        if (context.canBlock()) {
            idleState.set(PARKING);
            try {
                if (context.canBlock()) {
                    long deadline = context.deadlineNanos();
                    if (deadline == -1) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, Math.max(0, context.delayNanos(System.nanoTime())));
                    }
                }
            } finally {
                idleState.set(AWAKE);
            }
        }
        return 0;
    }

    /** Spins (if the policy says so), then parks until an event, a wakeup or the next scheduled task. */
    private void idle(IoHandlerContext context) throws IOException {
        // Publish the state before re-checking for tasks: a task added after this line calls wakeup(), which sees it.
        idleState.set(SPINNING);
        try {
            if (!context.canBlock()) {
                source.flush();
                return;
            }
            long spinNanos = idlePolicy.spinNanos();
            if (spinNanos > 0) {
                source.flush(); // what the last pass queued must be in the kernel before we watch for its events
                long spinDeadline = System.nanoTime() + spinNanos;
                do {
                    if (source.hasReady() || idleState.get() == AWAKE) {
                        return;
                    }
                    Thread.onSpinWait();
                } while (System.nanoTime() - spinDeadline < 0);
            }
            // From here a wakeup must reach the kernel; a wakeup that came first makes the CAS fail.
            if (idleState.compareAndSet(SPINNING, PARKING) && !source.hasReady()) {
                long timeout = context.deadlineNanos() == -1 ? -1 : Math.max(0, context.delayNanos(System.nanoTime()));
                source.park(timeout);
            } else {
                source.flush();
            }
        } finally {
            idleState.set(AWAKE);
        }
    }

    /** Called by the ring source for each ready event: route it to its handle, never to a stale one. */
    private void ready(long token, int events) {
        int slot = (int) token;
        UserpollIoRegistration reg = slot >= 0 && slot < slotLimit ? slots[slot] : null;
        if (reg == null || reg.token != token) {
            return; // closed earlier in this batch, or the slot was reused since
        }
        dispatch(reg, UserpollIoEvent.of(events));
    }

    private void dispatch(UserpollIoRegistration reg, UserpollIoEvent event) {
        handledThisPass++;
        try {
            reg.handle.handle(reg, event);
        } catch (Throwable t) {
            logger.warn("Unexpected exception while handling {} for {}", event, reg.handle, t);
        }
    }

    private void serveReadyList() {
        UserpollIoRegistration reg = readyHead;
        if (reg == null) {
            return;
        }
        // Serve only what is listed now; handles that list themselves again wait for the next pass.
        readyHead = readyTail = null;
        while (reg != null) {
            UserpollIoRegistration next = reg.nextReady;
            reg.nextReady = null;
            reg.onReadyList = false;
            if (reg.isValid()) {
                dispatch(reg, UserpollIoEvent.RETRY);
            }
            reg = next;
        }
    }

    void addToReadyList(UserpollIoRegistration reg) {
        assert executor.isExecutorThread(Thread.currentThread());
        if (reg.onReadyList) {
            return;
        }
        reg.onReadyList = true;
        if (readyTail == null) {
            readyHead = readyTail = reg;
        } else {
            readyTail.nextReady = reg;
            readyTail = reg;
        }
    }

    void arm(UserpollIoRegistration reg, int events) {
        assert executor.isExecutorThread(Thread.currentThread());
        if (reg.armedFd >= 0) {
            return; // registered once; interest changes stay in user space
        }
        int fd = reg.handle.fd().intValue();
        try {
            source.register(fd, events, reg.token);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        reg.armedFd = fd;
    }

    void disarm(UserpollIoRegistration reg) {
        assert executor.isExecutorThread(Thread.currentThread());
        int fd = reg.armedFd;
        if (fd < 0) {
            return;
        }
        reg.armedFd = -1;
        try {
            source.deregister(fd);
        } catch (IOException e) {
            logger.debug("Failed to deregister fd {} from {}", fd, source.kind().configName(), e);
        }
    }

    void cancel(UserpollIoRegistration reg) {
        if (executor.isExecutorThread(Thread.currentThread())) {
            cancel0(reg);
        } else {
            executor.execute(() -> cancel0(reg));
        }
    }

    private void cancel0(UserpollIoRegistration reg) {
        disarm(reg);
        int slot = (int) reg.token;
        if (slots[slot] == reg) {
            slots[slot] = null;
            generations[slot]++;
            freeSlots[freeCount++] = slot;
        }
        reg.handle.unregistered();
    }

    @Override
    public IoRegistration register(IoHandle handle) {
        if (!(handle instanceof UserpollIoHandle)) {
            throw new IllegalArgumentException("not a UserpollIoHandle: " + handle);
        }
        if (destroyed) {
            throw new IllegalStateException("event loop is shut down");
        }
        Throwable failure = sourceFailure;
        if (failure != null) {
            throw new IllegalStateException("this event loop's " + source.kind().configName()
                    + " ring source failed and was closed", failure);
        }
        int slot = freeCount > 0 ? freeSlots[--freeCount] : newSlot();
        long token = ((long) generations[slot] << 32) | slot;
        UserpollIoRegistration reg = new UserpollIoRegistration(this, (UserpollIoHandle) handle, token);
        slots[slot] = reg;
        handle.registered();
        return reg;
    }

    /** Registrations holding a loop slot now (what a leak of slots would make grow). Loop thread only. */
    int registrationCount() {
        assert executor.isExecutorThread(Thread.currentThread());
        return slotLimit - freeCount;
    }

    private int newSlot() {
        if (slotLimit == slots.length) {
            int n = slots.length * 2;
            slots = Arrays.copyOf(slots, n);
            generations = Arrays.copyOf(generations, n);
            freeSlots = Arrays.copyOf(freeSlots, n);
        }
        return slotLimit++;
    }

    /** How this loop's channels reach the kernel. Loop thread only. */
    Submitter submitter() {
        return submitter;
    }

    /** Whether this loop's park submits queued socket operations with it (tests). */
    boolean parksWithQueuedIo() {
        return source.canParkWithQueuedIo();
    }

    /** The batch this loop's channels queue their reads and writes in; null on the direct path (tests). */
    IoUringSocketBatch socketBatch() {
        return submitter.batch();
    }

    /** The loop's shared iov array, emptied for the caller. Loop thread only. */
    IovArray cleanIovArray() {
        iovArray.clear();
        return iovArray;
    }

    @Override
    public void wakeup() {
        // No-op on the loop thread and while the loop is awake; a spinning loop just sees the flip;
        // only a parking loop costs a kernel wakeup, at most one per idle period.
        if (idleState.get() != AWAKE && !executor.isExecutorThread(Thread.currentThread())
                && idleState.getAndSet(AWAKE) == PARKING) {
            if (sourceFailure == null) {
                source.wakeup();
            } else {
                LockSupport.unpark(loopThread);
            }
        }
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return UserpollIoHandle.class.isAssignableFrom(handleType);
    }

    @Override
    public void prepareToDestroy() {
        closeRegisteredHandles();
    }

    private void closeRegisteredHandles() {
        for (int i = 0; i < slotLimit; i++) {
            UserpollIoRegistration reg = slots[i];
            if (reg != null) {
                try {
                    reg.handle.close();
                } catch (Exception e) {
                    logger.debug("Failed to close {} on shutdown", reg.handle, e);
                }
            }
        }
    }

    @Override
    public void destroy() {
        // Netty skips prepareToDestroy() when the shutdown starts between its check and confirmShutdown()
        // (quiet period 0): close what is still registered here, so no channel's fd outlives the loop.
        closeRegisteredHandles();
        destroyed = true;
        if (sourceFailure == null) {
            for (int i = 0; i < slotLimit; i++) {
                UserpollIoRegistration reg = slots[i];
                if (reg != null) {
                    disarm(reg);
                }
            }
            submitter.close(); // every channel was closed above, which withdrew its queued operations
            source.close();
        }
        iovArray.release();
    }
}
