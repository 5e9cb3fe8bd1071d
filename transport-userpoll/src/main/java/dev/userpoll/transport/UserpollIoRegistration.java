package dev.userpoll.transport;

import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * A handle's registration with one {@link UserpollIoHandler}. The fd reaches the kernel once, when
 * the handle submits {@link UserpollIoOps#arm(int)} (a socket is armed when it becomes active or starts
 * to connect, so an unconnected socket never reports a spurious hang-up), and leaves it on
 * {@link #cancel()} or {@link UserpollIoOps#DISARM}.
 */
public final class UserpollIoRegistration implements IoRegistration {
    private static final AtomicIntegerFieldUpdater<UserpollIoRegistration> CANCELLED =
            AtomicIntegerFieldUpdater.newUpdater(UserpollIoRegistration.class, "cancelled");

    final UserpollIoHandler handler;
    final UserpollIoHandle handle;
    /** generation << 32 | slot: what the ring source hands back with every event. */
    final long token;
    /** The fd the ring source knows, or -1 when not armed. Loop thread only. */
    int armedFd = -1;
    /** Intrusive ready-list link; loop thread only. */
    UserpollIoRegistration nextReady;
    boolean onReadyList;
    /** 1 once cancelled; set by one compare-and-set, so exactly one of several cancelling threads ends it. */
    private volatile int cancelled;

    UserpollIoRegistration(UserpollIoHandler handler, UserpollIoHandle handle, long token) {
        this.handler = handler;
        this.handle = handle;
        this.token = token;
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
        // cancel() may race from several threads (a close on the loop, a deregister from elsewhere): a plain
        // check-then-set let two of them through, and the handle heard unregistered() twice.
        if (!CANCELLED.compareAndSet(this, 0, 1)) {
            return false;
        }
        handler.cancel(this);
        return true;
    }

    @Override
    public String toString() {
        return "UserpollIoRegistration(" + handle + ", token " + Long.toHexString(token) + ')';
    }
}
