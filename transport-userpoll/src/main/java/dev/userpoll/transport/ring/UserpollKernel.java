package dev.userpoll.transport.ring;

import java.io.IOException;

/**
 * The kernel calls a {@link UserpollRing} makes on its userpoll epoll: create it with both regions
 * mapped, {@code epoll_ctl} on it, and the park {@code epoll_wait(epfd, NULL, 0, timeout)}. Everything
 * else the ring does (the consumer over the two regions, the registration table, the wakeup eventfd and
 * the deadline timerfd) is the same code whoever answers these calls. The ring answers them with the
 * system calls themselves ({@link UserpollRing#SYSCALLS}); a test may answer them with an emulation of
 * the kernel's half of the ABI.
 */
interface UserpollKernel {

    /**
     * {@code epoll_create2(EPOLL_USERPOLL | EPOLL_CLOEXEC, size)}, with the header and the index ring
     * mapped (USERPOLL-ABI.md, "Mapping").
     *
     * @throws IOException when there is no such kernel, or it refused (the message names the errno)
     */
    Epoll create(int size) throws IOException;

    /** One userpoll epoll instance and its two mapped regions. */
    interface Epoll {
        /** The epoll fd, for messages. */
        int fd();

        /** How this instance publishes ring entries. */
        UserpollProtocol protocol();

        /** {@code epoll_uheader} and {@code items[]}: file offset 0, {@code header_length} bytes. */
        MappedMemory header();

        /** The index ring: file offset {@code header_length}, {@code index_length} bytes. */
        MappedMemory index();

        /** {@code epoll_ctl(epfd, op, fd, {events, data})}: 0 or {@code -errno}. */
        int ctl(int op, int fd, int events, long data);

        /**
         * {@code epoll_wait(epfd, NULL, 0, timeoutMillis)} ({@code -1}: no limit): {@code -ESTALE} when the
         * ring holds entries (at once, or on waking), 0 when the timeout passed, {@code -EINTR}, or another
         * {@code -errno}.
         */
        int await(int timeoutMillis);

        /**
         * An fd that polls readable when the ring has entries published since {@link #resetDoorbell()}, or -1
         * when there is none: a real userpoll epoll fd polls readable exactly while {@code head != tail}. A
         * batched loop parks by polling it in the io_uring call that submits its queued sends.
         */
        default int doorbellFd() {
            return -1;
        }

        /**
         * Called before the ring is checked one last time and {@link #doorbellFd()} is polled: an entry published
         * before this call is seen by that check, one published after it makes the doorbell readable. A kernel
         * fd needs nothing here (its readability is the ring's state itself).
         */
        default void resetDoorbell() {
        }

        /** Unmaps both regions and closes the epoll fd. */
        void close();
    }
}
