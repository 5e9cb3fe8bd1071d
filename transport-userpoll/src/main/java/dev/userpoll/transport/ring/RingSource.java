package dev.userpoll.transport.ring;

import java.io.IOException;

/**
 * Where an event loop gets readiness from: the kernel's answer to "which of my fds became ready",
 * drained from user memory where the source allows it. Every fd is registered once, edge-triggered,
 * and stays registered until {@link #deregister}; interest changes are the caller's business.
 * <p>Threading: every method except {@link #wakeup()} is called from the one loop thread.
 * Event bits are the epoll/poll bits ({@code Native.EPOLLIN}, {@code EPOLLOUT}, {@code EPOLLRDHUP},
 * {@code EPOLLERR}, {@code EPOLLHUP}); they are the same numbers for all three sources.
 */
public interface RingSource extends AutoCloseable {

    RingSourceKind kind();

    /**
     * Registers {@code fd} once, edge-triggered, for {@code events} (plus ERR and HUP, which the
     * kernel always reports). Every event for it is delivered with {@code token}.
     *
     * @throws IOException with the errno when the kernel refused (for example {@code ENOSPC} when a
     *                     userpoll item table is full)
     */
    void register(int fd, int events, long token) throws IOException;

    /**
     * Ends the registration of {@code fd}. Once this returns no event for it is delivered, not even
     * one the kernel had already queued, and the source holds no reference to the file: the caller
     * may close the fd, and a new registration of the same fd number sees only its own events.
     */
    void deregister(int fd) throws IOException;

    /**
     * Delivers every ready event to {@code handler} and returns how many were delivered. Never blocks
     * and never allocates. The handler may register and deregister fds while it runs.
     */
    int drain(ReadyHandler handler);

    /**
     * Whether {@link #drain} would deliver something, judged from user memory alone (plain loads,
     * no system call). A source that cannot tell without a system call answers {@code false}.
     */
    boolean hasReady();

    /**
     * Sleeps until an event is ready, {@link #wakeup()} is called, or {@code timeoutNanos} passes
     * ({@code < 0}: no limit; {@code 0}: do not sleep). May return early (spurious wakeups).
     */
    void park(long timeoutNanos) throws IOException;

    /** Ends a current or the next {@link #park}; callable from any thread. */
    void wakeup();

    /**
     * An fd that polls readable ({@code POLLIN}) whenever {@link #drain} may have something to deliver or a
     * {@link #wakeup()} is pending, so the loop can park on it inside another wait (the batched I/O's
     * {@code io_uring_enter}, which submits and sleeps in one call); -1 when this source has none, or
     * when such a park would not save a system call (an epoll source must still call epoll_wait to drain).
     */
    default int parkFd() {
        return -1;
    }

    /**
     * Begins a park that the caller performs by waiting for {@link #parkFd()}: consumes a pending wakeup as
     * {@link #park} would and submits what the source has queued. Returns false when the caller must not
     * sleep (a wakeup was pending, or events are ready). {@link #endExternalPark()} follows either way.
     */
    default boolean beginExternalPark() {
        return false;
    }

    /** Ends a park begun by {@link #beginExternalPark()}, once the caller's wait has returned for any reason. */
    default void endExternalPark() {
    }

    /** Releases every fd and mapping the source owns. Registered fds themselves are not closed. */
    @Override
    void close();
}
