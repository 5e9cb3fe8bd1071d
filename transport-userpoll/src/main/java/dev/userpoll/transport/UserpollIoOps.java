package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.IoOps;

/**
 * What a handle can ask of its {@link UserpollIoRegistration}. There is no "change interest": fds are
 * registered once, edge-triggered, and interest is tracked by the channel in user space.
 */
final class UserpollIoOps implements IoOps {
    /** Put the handle on the loop's ready list: it stopped before EAGAIN and must be served next pass. */
    public static final UserpollIoOps READY = new UserpollIoOps(0, true);
    /** Take the fd out of the ring source now (before the caller closes it); the handle stays registered. */
    public static final UserpollIoOps DISARM = new UserpollIoOps(0, false);
    /** The events a stream socket is armed with: IN, OUT and RDHUP (ERR and HUP are implied). */
    public static final UserpollIoOps ARM_STREAM = arm(Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP);
    /** The events a listening socket is armed with. */
    public static final UserpollIoOps ARM_ACCEPT = arm(Native.EPOLLIN);

    private final int events;
    private final boolean ready;

    private UserpollIoOps(int events, boolean ready) {
        this.events = events;
        this.ready = ready;
    }

    /** Register the fd with the ring source, once, edge-triggered, for {@code events}. */
    public static UserpollIoOps arm(int events) {
        // events == 0 is DISARM's encoding
        if (events == 0) {
            throw new IllegalArgumentException("no events");
        }
        return new UserpollIoOps(events, false);
    }

    int events() {
        return events;
    }

    boolean isReady() {
        return ready;
    }

    boolean isDisarm() {
        return !ready && events == 0;
    }

    @Override
    public String toString() {
        return ready ? "UserpollIoOps(READY)" : events == 0 ? "UserpollIoOps(DISARM)"
                : "UserpollIoOps(ARM " + UserpollIoEvent.describe(events) + ')';
    }
}
