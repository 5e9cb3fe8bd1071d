package dev.userpoll.transport;

import dev.userpoll.transport.io.Submitter;
import dev.userpoll.transport.ring.IoUringSocketBatch;
import dev.userpoll.transport.ring.LoopCounters;
import dev.userpoll.transport.ring.ReadyHandler;
import dev.userpoll.transport.ring.RingSource;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.unix.IovArray;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.netty.util.internal.ObjectUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

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

    private final ThreadAwareExecutor executor;
    private final RingSource source;
    /** How this loop's channels do their socket I/O (DESIGN.md 4b). */
    private final Submitter submitter;
    private final IoSubmitter submitterKind;
    /** What this loop counts about itself (kept by the source, which makes most kernel entries); see {@link #statistics()}. */
    private final LoopCounters counters;
    /** Back-off and give-up after passes that fail in the source. */
    private final SourceFailures failures = new SourceFailures();
    /** Why the ring source was given up, or null while it works. */
    private volatile Throwable sourceFailure;
    /** How the loop waits when it has nothing to do, and how other threads wake it. */
    private final LoopIdle idle;

    /** Every registration of this loop, by the token the ring source hands back. */
    private final SlotTable<Registration> registrations = new SlotTable<>();

    /** The gathering-write vector every channel of this loop fills in turn. */
    private final IovArray iovArray = new IovArray();
    /** What the ring source delivers to; not the handler itself, so no one else can inject readiness. */
    private final ReadyHandler readyHandler = this::ready;

    private Registration readyHead;
    private Registration readyTail;
    private int handledThisPass;
    private boolean destroyed;

    UserpollIoHandler(ThreadAwareExecutor executor, RingSource source, UserpollIoHandlerConfig config,
                              IoUringSocketBatch batch) {
        this.executor = executor;
        this.source = source;
        this.idle = new LoopIdle(executor, source, config.getIdlePolicy());
        this.submitter = batch == null ? Submitter.direct() : Submitter.batched(batch);
        this.submitterKind = batch == null ? IoSubmitter.DIRECT : IoSubmitter.BATCHED;
        this.counters = source.counters();
        UserpollLoopStatistics.register(executor, counters);
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
        return newFactory(c, () -> kind.open(c.getRingSize(), spinning, c.getIoUringSetupFlags(),
                c.isIoUringRegisterRingFd()));
    }

    /**
     * A factory over any ring source (tests wrap one to count or refuse what the loop asks of it). The config's
     * ring source, ring size and setup flags are the opener's business; a {@code null} submitter is the best.
     */
    static IoHandlerFactory newFactory(UserpollIoHandlerConfig config, LoopFactory.RingSourceOpener opener) {
        return LoopFactory.create(config, opener);
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
        return RingSourceKind.fromConfigName(source.name());
    }

    /** How this loop's channels do their reads and writes. */
    public IoSubmitter ioSubmitter() {
        return submitterKind;
    }

    /**
     * What this loop did so far; any thread, without stopping the loop ({@link UserpollLoopStatistics}). Callers
     * that hold the event loop rather than its handler use {@link UserpollLoopStatistics#of}.
     */
    public UserpollLoopStatistics statistics() {
        return UserpollLoopStatistics.of(counters);
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
            idle.idleWithoutSource(context);
            return 0;
        }
        handledThisPass = 0;
        try {
            if (context.canBlock() && readyHead == null && submitter.mayPark(source) && !source.hasReady()) {
                idle.idle(context);
            } else {
                source.flush();
            }
            // An auto-scaling group weighs each loop by the time it spends on I/O, as Netty's handlers report it.
            long activeSince = context.shouldReportActiveIoTime() ? System.nanoTime() : 0;
            source.drain(readyHandler);
            serveReadyList();
            handledThisPass += submitter.completePass();
            if (activeSince != 0) {
                context.reportActiveIoTime(System.nanoTime() - activeSince);
            }
            failures.passSucceeded();
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            if (failures.passFailed(source.name(), t)) {
                giveUpSource(t);
            }
        }
        counters.passCompleted();
        return handledThisPass;
    }

    /** Closes every registered channel (their fds with them) and the source; later registrations fail. */
    private void giveUpSource(Throwable cause) {
        sourceFailure = cause;
        closeRegisteredHandles();
        try {
            submitter.close();
            source.close();
        } catch (Throwable t) {
            logger.debug("Failed to close the failed ring source", t);
        }
    }

    /** Called by the ring source for each ready event: route it to its handle, never to a stale one. */
    private void ready(long token, int events) {
        Registration reg = registrations.get(token);
        if (reg != null) { // else closed earlier in this batch, or the slot was reused since
            counters.readyEvent();
            dispatch(reg, UserpollIoEvent.of(events));
        }
    }

    private void dispatch(Registration reg, UserpollIoEvent event) {
        handledThisPass++;
        try {
            reg.handle.handle(reg, event);
        } catch (Throwable t) {
            logger.warn("Unexpected exception while handling {} for {}", event, reg.handle, t);
        }
    }

    private void serveReadyList() {
        Registration reg = readyHead;
        if (reg == null) {
            return;
        }
        // Serve only what is listed now; handles that list themselves again wait for the next pass.
        readyHead = readyTail = null;
        while (reg != null) {
            Registration next = reg.nextReady;
            reg.nextReady = null;
            reg.onReadyList = false;
            if (reg.isValid()) {
                counters.retry();
                dispatch(reg, UserpollIoEvent.RETRY);
            }
            reg = next;
        }
    }

    private void addToReadyList(Registration reg) {
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

    private void arm(Registration reg, int events) {
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

    private void disarm(Registration reg) {
        assert executor.isExecutorThread(Thread.currentThread());
        int fd = reg.armedFd;
        if (fd < 0) {
            return;
        }
        reg.armedFd = -1;
        try {
            source.deregister(fd);
        } catch (IOException e) {
            logger.debug("Failed to deregister fd {} from {}", fd, source.name(), e);
        }
    }

    private void cancel(Registration reg) {
        if (executor.isExecutorThread(Thread.currentThread())) {
            cancel0(reg);
        } else {
            executor.execute(() -> cancel0(reg));
        }
    }

    private void cancel0(Registration reg) {
        disarm(reg);
        registrations.remove(reg.token, reg);
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
            throw new IllegalStateException("this event loop's " + source.name()
                    + " ring source failed and was closed", failure);
        }
        Registration reg = new Registration(this, (UserpollIoHandle) handle);
        handle.registered();
        return reg;
    }

    /** Registrations holding a loop slot now (what a leak of slots would make grow). Loop thread only. */
    int registrationCount() {
        assert executor.isExecutorThread(Thread.currentThread());
        return registrations.size();
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
        idle.wakeup();
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
        registrations.forEach(reg -> {
            try {
                reg.handle.close();
            } catch (Exception e) {
                logger.debug("Failed to close {} on shutdown", reg.handle, e);
            }
        });
    }

    @Override
    public void destroy() {
        // Netty skips prepareToDestroy() when the shutdown starts between its check and confirmShutdown()
        // (quiet period 0): close what is still registered here, so no channel's fd outlives the loop.
        closeRegisteredHandles();
        destroyed = true;
        UserpollLoopStatistics.unregister(executor, counters);
        if (sourceFailure == null) {
            registrations.forEach(this::disarm);
            submitter.close(); // every channel was closed above, which withdrew its queued operations
            source.close();
        }
        iovArray.release();
    }

    /**
     * A handle's registration with this loop. The fd reaches the kernel once, when the handle submits
     * {@link UserpollIoOps#arm(int)} (a socket is armed when it becomes active or starts to connect, so an
     * unconnected socket never reports a spurious hang-up), and leaves it on {@link #cancel()} or
     * {@link UserpollIoOps#DISARM}. Only {@link #cancel()} may be called off the loop thread.
     */
    private static final class Registration implements IoRegistration {
        private static final AtomicIntegerFieldUpdater<Registration> CANCELLED =
                AtomicIntegerFieldUpdater.newUpdater(Registration.class, "cancelled");

        final UserpollIoHandler handler;
        final UserpollIoHandle handle;
        /** What the ring source hands back with every event ({@link SlotTable}). */
        final long token;
        /** The fd the ring source knows, or -1 when not armed. Loop thread only. */
        int armedFd = -1;
        /** Intrusive ready-list link; loop thread only. */
        Registration nextReady;
        boolean onReadyList;
        /** 1 once cancelled; set by one compare-and-set, so exactly one of several cancelling threads ends it. */
        private volatile int cancelled;

        Registration(UserpollIoHandler handler, UserpollIoHandle handle) {
            this.handler = handler;
            this.handle = handle;
            this.token = handler.registrations.add(this);
        }

        @SuppressWarnings("unchecked")
        @Override
        public <T> T attachment() {
            return (T) handler;
        }

        /**
         * {@link UserpollIoOps#READY}: serve the handle again next pass without a kernel event;
         * {@link UserpollIoOps#arm(int)}: register the fd with the ring source (once);
         * {@link UserpollIoOps#DISARM}: take it out again before the fd is closed. Loop thread only.
         * Returns 0, or -1 when the registration is no longer valid.
         */
        @Override
        public long submit(IoOps ops) {
            if (!(ops instanceof UserpollIoOps)) {
                throw new IllegalArgumentException("not UserpollIoOps: " + ops);
            }
            if (cancelled != 0) {
                return -1;
            }
            UserpollIoOps uops = (UserpollIoOps) ops;
            if (uops.isReady()) {
                handler.addToReadyList(this);
            } else if (uops.isDisarm()) {
                handler.disarm(this);
            } else {
                handler.arm(this, uops.events());
            }
            return 0;
        }

        @Override
        public boolean isValid() {
            return cancelled == 0;
        }

        @Override
        public boolean cancel() {
            // cancel() may race from several threads (a close on the loop, a deregister from elsewhere): one
            // compare-and-set lets exactly one of them through, so the handle hears unregistered() once.
            if (!CANCELLED.compareAndSet(this, 0, 1)) {
                return false;
            }
            handler.cancel(this);
            return true;
        }

        @Override
        public String toString() {
            return "UserpollIoHandler.Registration(" + handle + ", token " + Long.toHexString(token) + ')';
        }
    }
}
