package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One emulated userpoll epoll (see {@link EmulatedUserpollKernel}): the two regions laid out as the
 * kernel lays them out ({@link UserpollTestProducer}), an item table, and producer threads that wait on
 * a real edge-triggered epoll set holding the same fds and publish each readiness event it reports the
 * way the kernel's wakeup callback does.
 * <ul>
 *   <li>Real set: every registered fd with the caller's interest, its data word the item and the item's
 *       generation ({@code generation << 32 | item}), plus a level-triggered eventfd that stops every
 *       producer.</li>
 *   <li>Producers publish concurrently under a read lock, as the kernel's wakeup callbacks run on any CPU
 *       under {@code ep->lock} taken for reading; {@code epoll_ctl} takes it for writing. {@code DEL} first
 *       removes the fd from the real set, then bumps the item's generation: an event a producer read from
 *       the real set just before carries the old generation and is dropped, so nothing is published for
 *       an ended registration, even when a later {@code ADD} reuses its item.</li>
 *   <li>Park: {@code -ESTALE} while {@code head != tail}, else sleep until the producer queues an entry
 *       ({@code -ESTALE}), the timeout passes (0) or the thread is interrupted ({@code -EINTR}; the interrupt
 *       is this emulation's signal, and is consumed as a handled signal is).</li>
 *   <li>Doorbell: the kernel's epoll fd polls readable while the ring holds entries; the emulation's doorbell is an
 *       eventfd that a producer writes after publishing, once per {@link #resetDoorbell()}, which empties it
 *       first. So an entry published before the reset is seen by the consumer's check after it, one after it
 *       makes the eventfd readable: what a parking submit needs of the real fd.</li>
 *   <li>The real set reports bits already masked by the interest set; the kernel's raw wakeup key may carry
 *       more, which the consumer masks. A file closed while registered leaves the real set at once; the
 *       emulation learns of it at the next {@code DEL} or {@code ADD} of that fd number and then frees the
 *       item as the kernel frees it at close.</li>
 * </ul>
 */
final class EmulatedUserpollEpoll implements UserpollKernel.Epoll {
    /** {@code EPOLLWAKEUP}, which a userpoll epoll strips silently. */
    static final int EPOLLWAKEUP = 1 << 29;
    /** {@code EEXIST} (the same on every Linux architecture; the native library does not export it). */
    static final int EEXIST = 17;
    /** Events the producer takes from the real set per {@code epoll_wait}. */
    private static final int BATCH = 256;
    /** Data word of the stop eventfd in the real set: no item has generation -1. */
    private static final long STOP_DATA = -1L;

    private final UserpollTestProducer ring;
    private final int epfd;
    private final int stopFd;
    private final int doorbellFd;
    /** A reset asked for the next publication to ring the doorbell. */
    private final java.util.concurrent.atomic.AtomicBoolean doorbellWanted =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final MappedMemory[] eventBuffers;
    private final Thread[] producers;

    /** Read: publication (any number of producers). Write: {@code epoll_ctl} and close. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    // Written under the write lock, read under either.
    private final Map<Integer, Integer> itemByFd = new HashMap<>();
    private final int[] fdOfItem;
    private final int[] interestOfItem;
    private final int[] generation;
    private final BitSet used = new BitSet();
    private boolean closed;

    /** The thread sleeping in {@link #await}, if any: the producer unparks it after publishing. */
    private volatile Thread parker;
    /** {@code -errno} of a real {@code epoll_wait} that failed and ended the producer, or 0. */
    private volatile int producerError;

    /**
     * @param size      as passed to {@code epoll_create2}: rounded up to a power of two
     * @param producers threads publishing at once (at least 1)
     */
    EmulatedUserpollEpoll(UserpollProtocol protocol, int size, int producers) throws IOException {
        if (producers < 1) {
            throw new IllegalArgumentException("producers: " + producers);
        }
        ring = new UserpollTestProducer(protocol, size);
        int ep = -1;
        int stop = -1;
        int bell = -1;
        MappedMemory[] buffers = new MappedMemory[producers];
        try {
            ep = Errno.check("epoll_create1", Native.epollCreate());
            stop = Errno.check("eventfd", Native.eventFd());
            bell = Errno.check("eventfd", Native.eventFd());
            // Level-triggered: once written, it wakes every producer, not just one.
            Errno.check("epoll_ctl(ADD, stop eventfd)",
                    Native.epollCtl(ep, Native.EPOLL_CTL_ADD, stop, Native.EPOLLIN, STOP_DATA));
            for (int i = 0; i < producers; i++) {
                buffers[i] = MappedMemory.allocate((long) BATCH * Native.SIZEOF_EPOLL_EVENT);
            }
        } catch (IOException | RuntimeException e) {
            for (MappedMemory b : buffers) {
                if (b != null) {
                    b.close();
                }
            }
            if (stop >= 0) {
                Native.close(stop);
            }
            if (bell >= 0) {
                Native.close(bell);
            }
            if (ep >= 0) {
                Native.close(ep);
            }
            ring.close();
            throw e;
        }
        epfd = ep;
        stopFd = stop;
        doorbellFd = bell;
        eventBuffers = buffers;
        fdOfItem = new int[ring.maxItems];
        interestOfItem = new int[ring.maxItems];
        generation = new int[ring.maxItems];
        this.producers = new Thread[producers];
        for (int i = 0; i < producers; i++) {
            MappedMemory buffer = buffers[i];
            Thread t = new Thread(() -> produce(buffer), "userpoll-emulated-kernel-" + epfd + "-" + i);
            t.setDaemon(true);
            this.producers[i] = t;
        }
        for (Thread t : this.producers) {
            t.start();
        }
    }

    @Override
    public int fd() {
        return epfd;
    }

    @Override
    public UserpollProtocol protocol() {
        return ring.protocol;
    }

    @Override
    public MappedMemory header() {
        return ring.header;
    }

    @Override
    public MappedMemory index() {
        return ring.index;
    }

    /** The producer's view of the same memory (tests inspect items and slots through it). */
    UserpollTestProducer ring() {
        return ring;
    }

    /** The item registered for {@code fd}, or -1. */
    int itemOf(int fd) {
        lock.readLock().lock();
        try {
            Integer item = itemByFd.get(fd);
            return item == null ? -1 : item;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public int ctl(int op, int fd, int events, long data) {
        if (op == Native.EPOLL_CTL_ADD || op == Native.EPOLL_CTL_MOD) {
            if ((events & Native.EPOLLET) == 0 || (events & Native.EPOLLEXCLUSIVE) != 0) {
                return -Native.EINVAL; // a userpoll epoll is edge-triggered only, and never exclusive
            }
            events &= ~EPOLLWAKEUP;
        }
        lock.writeLock().lock();
        try {
            if (closed) {
                return -Native.EBADF;
            }
            if (op == Native.EPOLL_CTL_ADD) {
                return add(fd, events, data);
            }
            if (op == Native.EPOLL_CTL_MOD) {
                return mod(fd, events, data);
            }
            if (op == Native.EPOLL_CTL_DEL) {
                return del(fd);
            }
            return -Native.EINVAL;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private int add(int fd, int events, long data) {
        Integer existing = itemByFd.get(fd);
        if (existing != null) {
            // Still in the real set (same file): EEXIST. Gone (closed, maybe reused): the kernel freed it then.
            int res = Native.epollCtl(epfd, Native.EPOLL_CTL_MOD, fd, interestOfItem[existing], realData(existing));
            if (res == 0) {
                return -EEXIST;
            }
            release(existing);
        }
        int item = used.nextClearBit(0);
        if (item >= ring.maxItems) {
            return -Native.ENOSPC;
        }
        int res = Native.epollCtl(epfd, Native.EPOLL_CTL_ADD, fd, events, realData(item));
        if (res < 0) {
            return res;
        }
        // Producers publish under the read lock, so the item is complete before its first event.
        used.set(item);
        itemByFd.put(fd, item);
        fdOfItem[item] = fd;
        interestOfItem[item] = events;
        ring.register(item, events, data);
        return 0;
    }

    private int mod(int fd, int events, long data) {
        Integer item = itemByFd.get(fd);
        if (item == null) {
            return -Native.ENOENT;
        }
        // Rewrite first: the real MOD polls the fd and the producer publishes what is ready with the new data.
        ring.register(item, events, data);
        interestOfItem[item] = events;
        int res = Native.epollCtl(epfd, Native.EPOLL_CTL_MOD, fd, events, realData(item));
        if (res == -Native.ENOENT || res == -Native.EBADF) {
            release(item); // the file was closed: the kernel had freed the item then
        }
        return res;
    }

    private int del(int fd) {
        Integer item = itemByFd.get(fd);
        int res = Native.epollCtl(epfd, Native.EPOLL_CTL_DEL, fd, 0, 0);
        if (item != null) {
            // Success, or ENOENT/EBADF because the file was closed: either way the registration is over.
            release(item);
        }
        return res;
    }

    /** Frees {@code item}: no event read under its old generation is published, and a queued entry goes stale. */
    private void release(int item) {
        generation[item]++;
        used.clear(item);
        itemByFd.remove(fdOfItem[item]);
        ring.delete(item);
    }

    private long realData(int item) {
        return (long) generation[item] << 32 | item;
    }

    // ---- the kernel's side: wakeups into the ring

    private void produce(MappedMemory events) {
        int size = Native.SIZEOF_EPOLL_EVENT;
        int dataOffset = Native.OFFSETOF_EPOLL_DATA;
        for (;;) {
            int n = Native.epollWait(epfd, events.address(), BATCH, -1);
            if (n < 0) {
                if (n == -Native.EINTR) {
                    continue;
                }
                producerError = n;
                unparkParker();
                return;
            }
            boolean stop = false;
            lock.readLock().lock();
            try {
                for (int i = 0; i < n; i++) {
                    int bits = events.getInt(i * size);
                    long word = events.getLong(i * size + dataOffset);
                    if (word == STOP_DATA) {
                        stop = true;
                        continue;
                    }
                    int item = (int) word;
                    if (used.get(item) && generation[item] == (int) (word >>> 32)) {
                        ring.publish(item, bits);
                    }
                }
            } finally {
                lock.readLock().unlock();
            }
            unparkParker();
            // After the volatile tail update of publish: pairs with resetDoorbell's set before the consumer's check.
            if (doorbellWanted.getAndSet(false)) {
                Native.eventFdWrite(doorbellFd, 1);
            }
            if (stop) {
                return;
            }
        }
    }

    private void unparkParker() {
        // Volatile read after the volatile tail update of publish: pairs with await's write of parker
        // before its re-check of tail, so either the parker sees the entry or we see the parker.
        Thread t = parker;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    // ---- the park

    @Override
    public int await(int timeoutMillis) {
        if (hasEntries()) {
            return -Native.ESTALE;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
        parker = Thread.currentThread();
        try {
            for (;;) {
                if (hasEntries()) {
                    return -Native.ESTALE;
                }
                int error = producerError;
                if (error != 0) {
                    return error;
                }
                if (Thread.interrupted()) {
                    return -Native.EINTR;
                }
                if (timeoutMillis < 0) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return 0;
                    }
                    LockSupport.parkNanos(this, left);
                }
            }
        } finally {
            parker = null;
        }
    }

    @Override
    public int doorbellFd() {
        return doorbellFd;
    }

    @Override
    public void resetDoorbell() {
        Native.eventFdRead(doorbellFd); // non-blocking: EAGAIN when it is empty already
        doorbellWanted.set(true);
    }

    /** {@code head != tail}, both read volatile (the park's half of the handshake with the producer). */
    boolean hasEntries() {
        return ring.head() != ring.tail();
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.writeLock().unlock();
        }
        Native.eventFdWrite(stopFd, 1);
        boolean interrupted = false;
        for (Thread t : producers) {
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Native.close(epfd);
        Native.close(stopFd);
        Native.close(doorbellFd);
        for (MappedMemory b : eventBuffers) {
            b.close();
        }
        ring.close();
    }
}
