package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;

/**
 * A plain edge-triggered epoll set: the source where no kernel-written ring exists, and the control
 * arm of every benchmark. Events are copied out of the kernel by {@code epoll_pwait2}/{@code epoll_wait}
 * into one native array, read from Java; nothing is shared with the kernel between calls.
 * <p>{@link #park} keeps the events its wait returned for the next {@link #drain}, so a loop that
 * parks then drains makes one system call for the batch, as Netty's epoll loop does.
 */
public final class EpollRingSource extends CompletionsFirstRingSource {
    /** Most events one epoll_wait call returns, whatever ring size the caller asks for. */
    static final int MAX_EVENTS = 65_536;

    /** Set once epoll_pwait2 was refused (Linux before 5.11, or a seccomp filter that predates it). */
    private static volatile boolean pwait2Missing;

    private final int epfd;
    private final EventFdWaker waker;
    private final MappedMemory eventArray;
    private final int maxEvents;
    private final int eventSize = Native.SIZEOF_EPOLL_EVENT;
    private final int dataOffset = Native.OFFSETOF_EPOLL_DATA;
    private final FdRegistrations registrations = new FdRegistrations();
    private final LoopCounters counters = new LoopCounters();

    private boolean usePwait2;
    /** Events the last park() took from the kernel, at the start of the array, not delivered yet. */
    private int parked;
    /**
     * The last park() waited and its epoll_wait returned fewer events than the array holds: it saw everything
     * that was ready, so the drain after it needs no epoll_wait of its own (even when the wait returned only the
     * wakeup, or nothing at a timeout).
     */
    private boolean parkSawAll;
    /** drain() consumed a wakeup: the next park() must return at once. */
    private boolean wakeupSeen;
    /** Loop thread only: wakeup() asks the waker, which refuses to write once close() has begun. */
    private boolean closed;

    /**
     * @param ringSize how many events one epoll_wait returns at most (capped at {@value #MAX_EVENTS});
     *                 more ready fds take more calls within the same {@link #drain}
     */
    public EpollRingSource(int ringSize) throws IOException {
        this(ringSize, true);
    }

    /** {@code usePwait2 == false} forces the millisecond epoll_wait path (tests). */
    EpollRingSource(int ringSize, boolean usePwait2) throws IOException {
        if (ringSize <= 0) {
            throw new IllegalArgumentException("ringSize: " + ringSize + " (expected: > 0)");
        }
        int size = Math.min(ringSize, MAX_EVENTS);
        int ep = -1;
        EventFdWaker ev = null;
        MappedMemory memory = null;
        try {
            ep = Errno.check("epoll_create1", Native.epollCreate());
            ev = EventFdWaker.open(counters);
            Errno.check("epoll_ctl(ADD, eventfd)", Native.epollCtl(ep, Native.EPOLL_CTL_ADD, ev.fd(),
                    Native.EPOLLIN | Native.EPOLLET, UserData.WAKEUP));
            memory = MappedMemory.allocate((long) size * Native.SIZEOF_EPOLL_EVENT);
        } catch (IOException | RuntimeException | Error e) {
            if (ev != null) {
                ev.close();
            }
            if (ep >= 0) {
                Native.close(ep);
            }
            throw e;
        }
        this.epfd = ep;
        this.waker = ev;
        this.eventArray = memory;
        this.maxEvents = size;
        this.usePwait2 = usePwait2 && !pwait2Missing;
    }

    /** {@code null} when an epoll set can be created here, else why not. */
    static Throwable probe() {
        int fd = Native.epollCreate();
        if (fd < 0) {
            return Errno.ioException("epoll_create1", fd);
        }
        Native.close(fd);
        return null;
    }

    @Override
    public String name() {
        return RingSources.EPOLL;
    }

    @Override
    public void register(int fd, int events, long token) throws IOException {
        checkOpen();
        long data = registrations.add(fd, token);
        counters.entered(LoopCounters.REGISTER);
        int res = Native.epollCtl(epfd, Native.EPOLL_CTL_ADD, fd, events | Native.EPOLLET, data);
        if (res < 0) {
            registrations.remove(fd);
            throw Errno.ioException("epoll_ctl(ADD, fd " + fd + ')', res);
        }
    }

    @Override
    public void deregister(int fd) throws IOException {
        // Dropped from the table first: an event already copied out (parked or mid-batch) is no longer current.
        if (registrations.remove(fd) == -1 || closed) {
            return;
        }
        counters.entered(LoopCounters.REGISTER);
        int res = Native.epollCtl(epfd, Native.EPOLL_CTL_DEL, fd, 0, 0);
        // ENOENT/EBADF: the fd was closed first, and the last close already took the file out of the set.
        if (res < 0 && res != -Native.ENOENT && res != -Native.EBADF) {
            throw Errno.ioException("epoll_ctl(DEL, fd " + fd + ')', res);
        }
    }

    /** None: this source never parks with operations queued, so the pass delivers them before it parks. */
    @Override
    int completeParked() {
        return 0;
    }

    @Override
    int drainReadiness(ReadyHandler handler) {
        if (closed) {
            return 0;
        }
        int delivered = 0;
        int n = parked;
        boolean sawAll = parkSawAll;
        parkSawAll = false;
        if (n > 0) {
            parked = 0;
            delivered = deliver(handler, n);
        }
        if (sawAll) {
            return delivered; // park's epoll_wait saw all that was ready: no second call this pass
        }
        // A full array may mean more is ready. The bound covers everything ready when drain started
        // (plus the wakeup), so fds that turn ready again while the handler runs cannot hold the loop here.
        for (int rounds = registrations.size() / maxEvents + 2; rounds > 0 && !closed; rounds--) {
            counters.entered(LoopCounters.POLL);
            n = Native.epollWait(epfd, eventArray.address(), maxEvents, 0);
            if (n <= 0) {
                break;
            }
            delivered += deliver(handler, n);
            if (n < maxEvents) {
                break;
            }
        }
        return delivered;
    }

    private int deliver(ReadyHandler handler, int n) {
        int delivered = 0;
        for (int i = 0, offset = 0; i < n; i++, offset += eventSize) {
            if (closed) { // the handler closed the source: the array is unmapped
                break;
            }
            long data = eventArray.getLong(offset + dataOffset);
            if (data == UserData.WAKEUP) {
                waker.consume();
                wakeupSeen = true;
                continue;
            }
            // Checked per event: the handler may have ended or replaced this registration earlier in the batch.
            if (registrations.isCurrent(data)) {
                handler.ready(registrations.token(data), eventArray.getInt(offset));
                delivered++;
            }
        }
        return delivered;
    }

    @Override
    public boolean hasReady() {
        return parked > 0;
    }

    @Override
    public void park(long timeoutNanos) throws IOException {
        checkOpen();
        parkSawAll = false;
        if (parked > 0 || wakeupSeen || timeoutNanos == 0) {
            wakeupSeen = false;
            return;
        }
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        int n = waitOnce(timeoutNanos);
        // A signal delivered to this thread ends the wait early (EINTR): wait out the rest of the deadline, as
        // Netty's epoll loop does, rather than return a park that saw nothing before its time (the JVM and the
        // tools around it do send signals to a process; the thread that takes one is any that does not block it).
        while (n == -Native.EINTR) {
            if (timeoutNanos > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    n = 0;
                    break;
                }
                n = waitOnce(left);
            } else {
                n = waitOnce(timeoutNanos);
            }
        }
        parkSawAll = n >= 0 && n < maxEvents;
        if (n > 0) {
            parked = removeWakeup(n);
        } else if (n < 0) {
            throw Errno.ioException(usePwait2 ? "epoll_pwait2" : "epoll_wait", n);
        }
    }

    /** One epoll_pwait2 (or epoll_wait, in milliseconds rounded up) for at most {@code timeoutNanos}. */
    private int waitOnce(long timeoutNanos) {
        counters.entered(LoopCounters.PARK);
        if (usePwait2) {
            int n = Native.epollPwait2(epfd, eventArray.address(), maxEvents, timeoutNanos);
            if (n != -Native.ENOSYS && n != -Native.EPERM) {
                return n;
            }
            usePwait2 = false;
            pwait2Missing = true;
            counters.entered(LoopCounters.PARK);
        }
        return Native.epollWait(epfd, eventArray.address(), maxEvents, timeoutMillis(timeoutNanos));
    }

    /**
     * Consumes the wakeup event if the wait returned it (at most one: it is one epoll item), moving the
     * last event into its slot; returns how many events are left.
     */
    private int removeWakeup(int n) {
        for (int i = 0, offset = 0; i < n; i++, offset += eventSize) {
            if (eventArray.getLong(offset + dataOffset) == UserData.WAKEUP) {
                // Consumed here, before park returns: a wakeup() from now on must end the next park.
                waker.consume();
                int last = (n - 1) * eventSize;
                if (offset != last) {
                    eventArray.putInt(offset, eventArray.getInt(last));
                    eventArray.putLong(offset + dataOffset, eventArray.getLong(last + dataOffset));
                }
                return n - 1;
            }
        }
        return n;
    }

    @Override
    public LoopCounters counters() {
        return counters;
    }

    @Override
    public void wakeup() {
        // One eventfd write per loop cycle (the waker coalesces), never one after close() has returned.
        waker.wakeup();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        parked = 0;
        waker.close();
        Native.close(epfd);
        eventArray.close();
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("epoll ring source is closed");
        }
    }

    /** epoll_wait's millisecond timeout for {@code nanos}, rounded up so that a deadline is never early. */
    static int timeoutMillis(long nanos) {
        if (nanos < 0) {
            return -1;
        }
        long millis = nanos / 1_000_000 + (nanos % 1_000_000 == 0 ? 0 : 1);
        return (int) Math.min(millis, Integer.MAX_VALUE);
    }

    @Override
    public String toString() {
        return "EpollRingSource(epfd " + epfd + ", " + registrations.size() + " fds, " + maxEvents + " events/call)";
    }
}
