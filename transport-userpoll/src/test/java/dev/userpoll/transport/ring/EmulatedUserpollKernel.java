package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;

import java.io.IOException;

/**
 * The kernel's half of the EPOLL_USERPOLL ABI, emulated on a stock kernel, so that {@link UserpollRing}
 * runs unchanged except for the calls of {@link UserpollKernel} (create and map, {@code epoll_ctl}, the
 * park):
 * <ul>
 *   <li>{@code epoll_uheader}, {@code epoll_uitem[]} and the index ring laid out as the kernel lays them
 *       out (the {@link UserpollRingLayout} formulas), in anonymous memory;</li>
 *   <li>{@code epoll_ctl}: {@code ADD} takes a free item ({@code ENOSPC} when all are used), requires
 *       {@code EPOLLET} and refuses {@code EPOLLEXCLUSIVE} ({@code EINVAL}), strips {@code EPOLLWAKEUP},
 *       writes {@code events} (plus {@code ERR|HUP}) and {@code data}; {@code DEL} marks a queued item
 *       {@code EPOLLREMOVED};</li>
 *   <li>readiness from a real edge-triggered epoll set holding the same fds, published by
 *       {@value #DEFAULT_PRODUCERS} producer threads at once (the kernel's wakeup callbacks run on any CPU) with
 *       the chosen protocol (v3 or v5): bits ORed into {@code ready_events}, an entry queued only when they
 *       were 0;</li>
 *   <li>the park behaves like {@code epoll_wait(epfd, NULL, 0, timeout)}: {@code ESTALE} / 0 / {@code EINTR}.</li>
 * </ul>
 * Detection is untouched: {@code RingSourceKind.USERPOLL} stays as available as the machine's kernel makes it.
 */
public final class EmulatedUserpollKernel implements UserpollKernel {
    /** Producer threads per emulated epoll unless told otherwise. */
    public static final int DEFAULT_PRODUCERS = 2;

    private final UserpollProtocol protocol;
    private final int producers;

    public EmulatedUserpollKernel(UserpollProtocol protocol) {
        this(protocol, DEFAULT_PRODUCERS);
    }

    /** An emulated kernel whose epolls publish from {@code producers} threads at once. */
    public EmulatedUserpollKernel(UserpollProtocol protocol, int producers) {
        if (protocol == null) {
            throw new NullPointerException("protocol");
        }
        if (producers < 1) {
            throw new IllegalArgumentException("producers: " + producers + " (expected >= 1)");
        }
        this.protocol = protocol;
        this.producers = producers;
    }

    /** A {@link UserpollRing} over a new emulated kernel, as {@code new UserpollRing(ringSize)} is over the real one. */
    public static RingSource openRing(int ringSize, UserpollProtocol protocol) throws IOException {
        return openRing(ringSize, protocol, false);
    }

    /** As {@link #openRing(int, UserpollProtocol)}, for a loop that {@code spinning} watches the ring first. */
    public static RingSource openRing(int ringSize, UserpollProtocol protocol, boolean spinning) throws IOException {
        return new UserpollRing(ringSize, spinning, new EmulatedUserpollKernel(protocol));
    }

    @Override
    public EmulatedUserpollEpoll create(int size) throws IOException {
        if (size <= 0 || size > UserpollRingLayout.MAX_ITEMS) {
            throw Errno.ioException("epoll_create2(EPOLL_USERPOLL, " + size + ")", -Native.EINVAL);
        }
        return new EmulatedUserpollEpoll(protocol, size, producers);
    }

    @Override
    public String toString() {
        return "emulated EPOLL_USERPOLL kernel (" + protocol + ", " + producers + " producers)";
    }
}
