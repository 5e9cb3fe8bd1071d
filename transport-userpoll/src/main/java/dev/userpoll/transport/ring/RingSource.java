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

    /** The source's name in configuration: {@code userpoll}, {@code io_uring} or {@code epoll}. */
    String name();

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
     * one the kernel had already queued: the caller may close the fd, and a new registration of the same
     * fd number sees only its own events. The source holds no reference to the file once this returns, or,
     * when called from within {@link #drain}, once that drain returns (the io_uring source hands the arm's
     * removal to the kernel with the drain's closing submit).
     */
    void deregister(int fd) throws IOException;

    /**
     * Delivers every ready event to {@code handler} and returns how many were delivered. Never blocks
     * and never allocates. The handler may register and deregister fds while it runs.
     * <p>Order: the completions of the batched socket operations that the last {@link #park} submitted
     * ({@link #canParkWithQueuedIo}) are delivered before any readiness that drain delivers, and so before the
     * readiness that woke the park. A caller may rely on it: a channel whose send was in flight when its
     * {@code EPOLLOUT} edge was observed learns first that the send was partial, and takes the edge after; the
     * other way round it would take the edge with nothing to write, then wait for another edge that never comes
     * (the socket stays writable). The io_uring source gets this order from its single CQ (a parked send completes
     * during the submit, before readiness posted after it); the userpoll source, whose batch has a ring of its own,
     * delivers that ring's completions first; the epoll source never parks with operations queued.
     * {@link CompletionsFirstRingSource} keeps the order for each of them.
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
     * Called once on the loop thread before its first pass: a source may bind what belongs to that thread (the
     * io_uring source registers its ring fd with it). Every later call but {@link #wakeup()} comes from that thread.
     */
    default void initialize() {
    }

    /**
     * Hands whatever this pass queued for the kernel (deferred registrations, a shared batch's socket
     * operations) to it without waiting; the loop calls it when it will not {@link #park}. Most sources
     * submit as they go and have nothing to do here.
     */
    default void flush() throws IOException {
    }

    /**
     * Opens the loop's batched socket I/O (DESIGN.md 4b). A source built on an io_uring puts it in its own ring,
     * so that one {@code io_uring_enter} per pass submits the operations and parks, and routes their completions
     * through {@link #drain}; the others give it a small ring of its own. {@code parkWindowMicros}: how long a
     * park that submits queued sends may hold their completions back.
     */
    default IoUringSocketBatch openSocketBatch(int entries, int parkWindowMicros) throws IOException {
        return IoUringSocketBatch.open(entries, counters());
    }

    /** Whether {@link #park} may be called while the batch has queued operations (it submits them itself). */
    default boolean canParkWithQueuedIo() {
        return false;
    }

    /**
     * The loop's counters ({@link LoopCounters}), kept by its source, which makes most of the loop's kernel entries
     * and counts each by its reason; the loop and its batch count into the same object.
     */
    LoopCounters counters();

    /** Releases every fd and mapping the source owns. Registered fds themselves are not closed. */
    @Override
    void close();
}
