package dev.userpoll.transport;

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
import java.util.concurrent.atomic.AtomicInteger;

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
public final class UserpollIoHandler implements IoHandler, ReadyHandler {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UserpollIoHandler.class);

    private static final int AWAKE = 0;
    /** Spinning on the ring: a waker only flips the state, no system call needed. */
    private static final int SPINNING = 1;
    /** About to park or parked: a waker must reach the kernel. */
    private static final int PARKING = 2;

    private final ThreadAwareExecutor executor;
    private final RingSource source;
    private final IdlePolicy idlePolicy;
    /**
     * {@link UserpollIoHandlerConfig#getBatchParkWindowMicros()} of this loop. Named as the constant it replaced,
     * because the batched run loop reads it under that name.
     */
    private final int PARK_WINDOW_MICROS;
    /** The pass's socket I/O when batched (DESIGN.md 4b); null on the direct path. */
    private final IoUringSocketBatch batch;
    private final BatchIovCollector batchIov;
    /** AWAKE, SPINNING or PARKING: only PARKING makes {@link #wakeup()} enter the kernel. */
    private final AtomicInteger idleState = new AtomicInteger(AWAKE);

    private UserpollIoRegistration[] slots = new UserpollIoRegistration[64];
    private int[] generations = new int[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int slotLimit;

    /** The gathering-write vector every channel of this loop fills in turn. */
    private final IovArray iovArray = new IovArray();

    private UserpollIoRegistration readyHead;
    private UserpollIoRegistration readyTail;
    private int handledThisPass;
    private boolean destroyed;

    private UserpollIoHandler(ThreadAwareExecutor executor, RingSource source, UserpollIoHandlerConfig config,
                              IoUringSocketBatch batch) {
        this.executor = executor;
        this.source = source;
        this.idlePolicy = config.getIdlePolicy();
        this.PARK_WINDOW_MICROS = config.getBatchParkWindowMicros();
        this.batch = batch;
        this.batchIov = batch == null ? null : new BatchIovCollector(batch);
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
                    batch = IoUringSocketBatch.open(c.getBatchEntries());
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
        return batch == null ? IoSubmitter.DIRECT : IoSubmitter.BATCHED;
    }

    @Override
    public int run(IoHandlerContext context) {
        handledThisPass = 0;
        try {
            if (context.canBlock() && readyHead == null && (!hasQueuedIo() || canParkWithQueuedIo())
                    && !source.hasReady()) {
                idle(context);
                if (batch != null) {
                    // Sends submitted by the park: their completions are delivered once the loop is awake.
                    handledThisPass += batch.deliverCompleted();
                }
            }
            source.drain(this);
            serveReadyList();
            if (batch != null) {
                // The reads of this pass go with the writes its completions queued last time: one enter.
                handledThisPass += batch.submitAndComplete();
            }
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            logger.warn("Unexpected exception in the userpoll event loop.", t);
        }
        return handledThisPass;
    }

    private boolean hasQueuedIo() {
        return batch != null && batch.queued() != 0;
    }

    /**
     * Whether the queued operations can go to the kernel in the enter that parks (DESIGN.md 4b): the source
     * has an fd to poll, the kernel has min-wait, and the loop does not spin (a spinning loop sends first).
     */
    private boolean canParkWithQueuedIo() {
        return PARK_WINDOW_MICROS > 0 && idlePolicy.spinNanos() == 0 && source.parkFd() >= 0 && batch.canPark();
    }

    /** Spins (if the policy says so), then parks until an event, a wakeup or the next scheduled task. */
    private void idle(IoHandlerContext context) throws IOException {
        // Publish the state before re-checking for tasks: a task added after this line calls wakeup(), which sees it.
        idleState.set(SPINNING);
        try {
            if (!context.canBlock()) {
                return;
            }
            long spinNanos = idlePolicy.spinNanos();
            if (spinNanos > 0) {
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
                if (hasQueuedIo()) {
                    parkWithQueuedIo(timeout);
                } else {
                    source.park(timeout);
                }
            }
        } finally {
            idleState.set(AWAKE);
        }
    }

    /** One enter submits the queued sends and sleeps until the source's fd polls readable (or the window ends). */
    private void parkWithQueuedIo(long timeoutNanos) {
        try {
            if (source.beginExternalPark() && timeoutNanos != 0) {
                batch.submitAndPark(source.parkFd(), timeoutNanos, PARK_WINDOW_MICROS);
            } else {
                batch.submit(); // a wakeup or an event is pending: do not sleep
            }
        } finally {
            source.endExternalPark();
        }
    }

    /** Called by the ring source for each ready event: route it to its handle, never to a stale one. */
    @Override
    public void ready(long token, int events) {
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

    /** The batch this loop's channels queue their reads and writes in; null on the direct path. */
    IoUringSocketBatch socketBatch() {
        return batch;
    }

    /**
     * Whether a write may join the batch now: only while the batch delivers completions, that is a reply
     * written from channelRead/channelReadComplete of a batched read or a write continued by a batched send.
     * Every other write (channelActive, a task, a connect) goes out directly, as on the direct path, so code
     * that writes and then blocks the loop thread waiting for the peer still sees its bytes leave.
     */
    boolean batchesWritesNow() {
        return batch != null && batch.isDelivering();
    }

    /** Fills the iovecs of a batched sendmsg. Loop thread only. */
    BatchIovCollector batchIovCollector() {
        return batchIov;
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
            source.wakeup();
        }
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return UserpollIoHandle.class.isAssignableFrom(handleType);
    }

    @Override
    public void prepareToDestroy() {
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
        prepareToDestroy();
        destroyed = true;
        for (int i = 0; i < slotLimit; i++) {
            UserpollIoRegistration reg = slots[i];
            if (reg != null) {
                disarm(reg);
            }
        }
        if (batch != null) {
            batch.close(); // every channel was closed above, which withdrew its queued operations
        }
        source.close();
        iovArray.release();
    }
}
