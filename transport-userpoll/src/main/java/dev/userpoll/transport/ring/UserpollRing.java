package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.internal.UserpollProperties;
import dev.userpoll.transport.internal.UserpollProperties.Setting;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static dev.userpoll.transport.ring.UserpollRingLayout.MAX_ITEMS;

/**
 * The {@link RingSource} of a kernel carrying EPOLL_USERPOLL: the kernel writes readiness into a
 * ring mmap'd from the epoll fd, {@link #drain} reads it with plain loads
 * ({@link UserpollRingConsumer}), and the loop enters the kernel only to sleep
 * ({@code epoll_wait(epfd, NULL, 0, timeout)}: {@code ESTALE} when the ring holds entries).
 * <p>Detection (DESIGN.md section 2): {@code epoll_create2} was never merged, and its numbers are other
 * syscalls on mainline (428 {@code open_tree}, 437 {@code openat2}). It is called only with arguments
 * those reject without side effects (flags {@code EPOLL_USERPOLL|EPOLL_CLOEXEC} as their dfd, a size of
 * {@value #PROBE_SIZE} as their path pointer: {@code EFAULT}; zeroed other registers: {@code openat2}
 * fails {@code usize == 0} with {@code EINVAL}), and an fd it returns is used only once proven to be
 * an eventpoll ({@code /proc/self/fd/N}) whose first page carries the header magic. Settings (read by
 * {@link UserpollProperties}, each also as its {@code USERPOLL_*} environment variable):
 * {@value #SYSCALL_PROPERTY} (an integer: try only that number) and {@value #PROTOCOL_PROPERTY}
 * ({@code v3}|{@code v5}; default: v3 for 428, v5 for 437).
 * <p>Sleeping with a deadline: {@code epoll_wait} counts milliseconds, so a deadline is rounded up to
 * the next millisecond, which is early never and late by less than 10% from 10 ms on. Below 10 ms a
 * deadline that is not a whole number of milliseconds arms a timerfd registered in the same ring with
 * the exact nanoseconds and sleeps without a timeout (one extra syscall, only for short sleeps, which
 * scheduled tasks need precise). A timer left armed by a park that ended early fires into the ring
 * later and costs at most one spurious wakeup. {@link #wakeup()} writes an eventfd registered in the
 * same ring. Neither internal fd is ever delivered to a handler.
 * <p>Batched I/O: the loop's batch has an io_uring of its own. A pass that ends with sends queued parks in the
 * {@code io_uring_enter} that submits them, polling the epoll fd (readable while the ring holds entries) beside
 * them, for at most the batch's park window ({@link IoUringSocketBatch#submitAndPark}); so a reply costs no
 * system call of its own, as on the io_uring source.
 * <p>The calls on the userpoll epoll itself (create and map, {@code epoll_ctl}, the park) go through
 * {@link UserpollKernel}: the system calls ({@link #SYSCALLS}) here, an emulated kernel in tests.
 */
public final class UserpollRing extends CompletionsFirstRingSource {
    /** System property: the syscall number of {@code epoll_create2} to use instead of trying 428, then 437. */
    public static final String SYSCALL_PROPERTY = UserpollProperties.EPOLL_CREATE2_SYSCALL;
    /** System property: {@code v3} or {@code v5}, the ring protocol, instead of deriving it from the number. */
    public static final String PROTOCOL_PROPERTY = UserpollProperties.EPOLL_CREATE2_PROTOCOL;

    /** Size passed while probing: below any mappable address, so {@code open_tree} gets EFAULT. */
    static final int PROBE_SIZE = 16;
    /** Deadlines shorter than this that are not whole milliseconds use the timerfd. */
    static final long TIMERFD_BELOW_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final long NANOS_PER_MILLI = TimeUnit.MILLISECONDS.toNanos(1);

    /** The kernel itself: detection, then {@code epoll_create2} at the number that proved to be it. */
    static final UserpollKernel SYSCALLS = size -> {
        Detected d = detected();
        return KernelUserpollEpoll.open(d.syscallNumber, size, d.protocol);
    };

    private static volatile Detected detected;

    private final UserpollKernel.Epoll epoll;
    private final UserpollRingConsumer consumer;
    private final FdRegistrations registrations = new FdRegistrations();
    private final LoopCounters counters = new LoopCounters();
    private final EventFdWaker waker;
    private final int timerFd;
    /** The loop watches the ring from user space before it parks: it submits its sends first, never in a park. */
    private final boolean spinning;
    /** The loop's batched socket I/O, on a ring of its own ({@link #openSocketBatch}); null on the direct path. */
    private IoUringSocketBatch batch;
    /** How long a park that submits queued sends may last (0: such parks are off). */
    private long parkWindowNanos;
    /** Drain's view of the caller's handler; a field so that drain does not allocate a lambda. */
    private final ReadyHandler dispatcher = this::dispatch;
    private ReadyHandler handler;
    private int delivered;
    /** The wakeup eventfd's entry was drained: the next park must not sleep. */
    private boolean wakeupDrained;
    private boolean closed;

    /**
     * Opens a userpoll epoll with room for {@code ringSize} registrations (plus the two internal fds),
     * rounded up by the kernel to a power of two, at most {@value UserpollRingLayout#MAX_ITEMS}.
     */
    public UserpollRing(int ringSize) throws IOException {
        this(ringSize, false, SYSCALLS);
    }

    /** As {@link #UserpollRing(int)}, for a loop that {@code spinning} watches the ring before it parks. */
    public UserpollRing(int ringSize, boolean spinning) throws IOException {
        this(ringSize, spinning, SYSCALLS);
    }

    /** As {@link #UserpollRing(int)}, with the kernel calls answered by {@code kernel}. */
    UserpollRing(int ringSize, UserpollKernel kernel) throws IOException {
        this(ringSize, false, kernel);
    }

    /** As {@link #UserpollRing(int, boolean)}, with the kernel calls answered by {@code kernel}. */
    UserpollRing(int ringSize, boolean spinning, UserpollKernel kernel) throws IOException {
        this.spinning = spinning;
        int size = (int) Math.min(MAX_ITEMS, Math.max(1L, (long) ringSize + 2));
        UserpollKernel.Epoll opened = kernel.create(size);
        EventFdWaker efd = null;
        int tfd = -1;
        try {
            efd = EventFdWaker.open(counters);
            tfd = Errno.check("timerfd_create", Native.timerFd());
            ctlAdd(opened, efd.fd(), Native.EPOLLIN, UserData.WAKEUP, "eventfd");
            ctlAdd(opened, tfd, Native.EPOLLIN, UserData.TIMER, "timerfd");
            consumer = new UserpollRingConsumer(opened.header(), opened.index(), opened.protocol());
        } catch (IOException | RuntimeException e) {
            closeQuietly(tfd);
            if (efd != null) {
                efd.close();
            }
            opened.close();
            throw e instanceof IOException ? (IOException) e : new IOException(e.getMessage(), e);
        }
        epoll = opened;
        waker = efd;
        timerFd = tfd;
    }

    /** Why this machine has no usable EPOLL_USERPOLL, or {@code null}; runs the detection afresh. */
    static Throwable probe() {
        try {
            detected = detect();
            return null;
        } catch (UnsupportedOperationException e) {
            return e;
        }
    }

    /** How many items the kernel made room for ({@code max_items_nr}), the two internal fds included. */
    int maxItems() {
        return consumer.maxItems();
    }

    /** The protocol this ring speaks (v3 or v5). */
    public UserpollProtocol protocol() {
        return consumer.protocol();
    }

    @Override
    public String name() {
        return RingSources.USERPOLL;
    }

    @Override
    public void register(int fd, int events, long token) throws IOException {
        long data = registrations.add(fd, token);
        counters.entered(LoopCounters.REGISTER);
        int res = epoll.ctl(Native.EPOLL_CTL_ADD, fd, events | Native.EPOLLET, data);
        if (res < 0) {
            registrations.remove(fd);
            if (res == -Native.ENOSPC) {
                throw new IOException("epoll_ctl(ADD, fd " + fd + ") failed with ENOSPC: all "
                        + consumer.maxItems() + " items of the userpoll ring are in use");
            }
            throw Errno.ioException("epoll_ctl(ADD, fd " + fd + ")", res);
        }
    }

    @Override
    public void deregister(int fd) throws IOException {
        if (registrations.remove(fd) == -1) {
            return;
        }
        // The kernel marks a queued entry EPOLLREMOVED; the table already drops its data word too.
        counters.entered(LoopCounters.REGISTER);
        int res = epoll.ctl(Native.EPOLL_CTL_DEL, fd, 0, 0);
        if (res < 0 && res != -Native.ENOENT && res != -Native.EBADF) {
            throw Errno.ioException("epoll_ctl(DEL, fd " + fd + ")", res);
        }
    }

    /** What a parking submit sent, from the batch's own ring (it is not in this ring). */
    @Override
    int completeParked() {
        return batch == null ? 0 : batch.completeParked();
    }

    @Override
    int drainReadiness(ReadyHandler handler) {
        this.handler = handler;
        delivered = 0;
        try {
            consumer.drain(dispatcher);
        } finally {
            this.handler = null;
        }
        return delivered;
    }

    private void dispatch(long data, int events) {
        if (data == UserData.WAKEUP) {
            // Set before re-opening wakeup(): one that skipped its write meanwhile still ends the next park.
            // Each write makes its own entry (the item is edge-triggered), so the counter is left unread.
            wakeupDrained = true;
            waker.reset();
        } else if (data != UserData.TIMER && registrations.isCurrent(data)) {
            delivered++;
            handler.ready(registrations.token(data), events);
        }
    }

    /** {@code head != tail}; true also while only internal or stale entries remain (drain then delivers 0). */
    @Override
    public boolean hasReady() {
        return consumer.hasEntries();
    }

    @Override
    public void park(long timeoutNanos) throws IOException {
        if (wakeupDrained) {
            wakeupDrained = false;
            return;
        }
        if (timeoutNanos == 0 || consumer.hasEntries()) {
            return;
        }
        if (batch != null && batch.queued() != 0) {
            parkSubmitting(timeoutNanos);
            return;
        }
        int timeoutMillis;
        if (timeoutNanos < 0) {
            timeoutMillis = -1;
        } else if (timeoutNanos < TIMERFD_BELOW_NANOS && timeoutNanos % NANOS_PER_MILLI != 0) {
            counters.entered(LoopCounters.PARK);
            Errno.check("timerfd_settime", Native.timerFdSetTime(timerFd, timeoutNanos));
            timeoutMillis = -1;
        } else {
            long millis = (timeoutNanos + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
            timeoutMillis = (int) Math.min(Integer.MAX_VALUE, millis);
        }
        counters.entered(LoopCounters.PARK);
        int res = epoll.await(timeoutMillis);
        if (res < 0 && res != -Native.ESTALE && res != -Native.EINTR) {
            throw Errno.ioException("epoll_wait(userpoll epfd " + epoll.fd() + ")", res);
        }
    }

    /**
     * Parks in the call that submits the batch's queued sends, until the epoll fd polls readable (an entry: readiness
     * or a wakeup) or the window passes; whichever deadline is nearer bounds the wait, in nanoseconds.
     */
    private void parkSubmitting(long timeoutNanos) throws IOException {
        epoll.resetDoorbell();
        if (consumer.hasEntries()) {
            return; // published before the reset: the doorbell would not ring for it
        }
        batch.submitAndPark(epoll.doorbellFd(), timeoutNanos < 0 ? parkWindowNanos
                : Math.min(timeoutNanos, parkWindowNanos));
    }

    /**
     * Opens the loop's batch on a small io_uring of its own. Its parks with queued sends need a doorbell fd from the
     * kernel and a window; a spinning loop submits before it spins instead.
     */
    @Override
    public IoUringSocketBatch openSocketBatch(int entries, int parkWindowMicros) throws IOException {
        if (batch != null) {
            throw new IllegalStateException("this ring source already has a socket batch");
        }
        batch = IoUringSocketBatch.open(entries, counters);
        parkWindowNanos = epoll.doorbellFd() < 0 ? 0 : TimeUnit.MICROSECONDS.toNanos(Math.max(0, parkWindowMicros));
        return batch;
    }

    /** Not a queued recv (its data would wait for the window; the pass submits it at once), nor a spinning loop. */
    @Override
    public boolean canParkWithQueuedIo() {
        return batch != null && parkWindowNanos > 0 && !spinning && batch.queuedRecvs() == 0;
    }

    @Override
    public LoopCounters counters() {
        return counters;
    }

    @Override
    public void wakeup() {
        // Coalesced until the wakeup's ring entry is drained; never a write once close() has returned.
        waker.wakeup();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        epoll.close();
        Native.close(timerFd);
        waker.close();
    }

    // ---- detection and mapping

    private static Detected detected() throws IOException {
        Detected d = detected;
        if (d == null) {
            try {
                detected = d = detect();
            } catch (UnsupportedOperationException e) {
                throw new IOException(e.getMessage(), e);
            }
        }
        return d;
    }

    /** Finds the working {@code epoll_create2} as this JVM's settings direct. */
    static Detected detect() {
        return detect(UserpollProperties.system());
    }

    /** Finds the working {@code epoll_create2}; throws naming every attempt and what it lacked. */
    static Detected detect(UserpollProperties settings) {
        Setting forcedProtocol = settings.get(PROTOCOL_PROPERTY, UserpollProperties.EPOLL_CREATE2_PROTOCOL_ENV);
        UserpollProtocol protocolOverride = null;
        if (forcedProtocol != null) {
            try {
                protocolOverride = UserpollProtocol.parse(forcedProtocol.value());
            } catch (IllegalArgumentException e) {
                throw new UnsupportedOperationException(forcedProtocol + ": " + e.getMessage());
            }
        }
        int[] candidates;
        Setting forcedSyscall = settings.get(SYSCALL_PROPERTY, UserpollProperties.EPOLL_CREATE2_SYSCALL_ENV);
        if (forcedSyscall != null) {
            try {
                candidates = new int[] {Integer.parseInt(forcedSyscall.value().trim())};
            } catch (NumberFormatException e) {
                throw new UnsupportedOperationException(forcedSyscall + " is not a syscall number");
            }
        } else {
            candidates = new int[] {UserpollRingLayout.SYSCALL_EPOLL_CREATE2_V3,
                    UserpollRingLayout.SYSCALL_EPOLL_CREATE2_V5};
        }
        StringBuilder attempts = new StringBuilder();
        for (int nr : candidates) {
            UserpollProtocol protocol = protocolOverride != null ? protocolOverride : UserpollProtocol.ofSyscall(nr);
            if (attempts.length() > 0) {
                attempts.append("; ");
            }
            attempts.append("epoll_create2 (syscall ").append(nr).append(mainlineName(nr)).append(')');
            if (protocol == null) {
                attempts.append(": no protocol known for this number, set -D").append(PROTOCOL_PROPERTY)
                        .append("=v3|v5");
                continue;
            }
            try {
                KernelUserpollEpoll.open(nr, PROBE_SIZE, protocol).close();
                return new Detected(nr, protocol);
            } catch (IOException e) {
                attempts.append(' ').append(e.getMessage());
            }
        }
        throw new UnsupportedOperationException("EPOLL_USERPOLL is not supported by this kernel ("
                + System.getProperty("os.name") + ' ' + System.getProperty("os.version") + "): " + attempts);
    }

    private static String mainlineName(int nr) {
        if (nr == UserpollRingLayout.SYSCALL_EPOLL_CREATE2_V3) {
            return ", open_tree on mainline";
        }
        if (nr == UserpollRingLayout.SYSCALL_EPOLL_CREATE2_V5) {
            return ", openat2 on mainline";
        }
        return "";
    }

    private static void ctlAdd(UserpollKernel.Epoll epoll, int fd, int events, long data, String what)
            throws IOException {
        Errno.check("epoll_ctl(ADD, " + what + ")", epoll.ctl(Native.EPOLL_CTL_ADD, fd, events | Native.EPOLLET, data));
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            Native.close(fd);
        }
    }

    /** The syscall number that proved to be {@code epoll_create2}, and the protocol to speak. */
    static final class Detected {
        final int syscallNumber;
        final UserpollProtocol protocol;

        Detected(int syscallNumber, UserpollProtocol protocol) {
            this.syscallNumber = syscallNumber;
            this.protocol = protocol;
        }
    }
}
