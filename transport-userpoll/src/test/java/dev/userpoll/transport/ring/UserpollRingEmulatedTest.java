package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.userpoll.transport.ring.RingTestSockets.write;
import static dev.userpoll.transport.ring.UserpollRingLayout.EPOLLREMOVED;
import static dev.userpoll.transport.ring.UserpollRingLayout.HEADER_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.INDEX_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAGIC_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAX_ITEMS_NR_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link UserpollRing} over {@link EmulatedUserpollKernel}: the whole ring source contract for each publish
 * protocol, and what the emulated kernel itself promises (the ABI's errnos, ESTALE, EPOLLREMOVED, coalescing).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UserpollRingEmulatedTest {
    private static final int IN = Native.EPOLLIN;
    private static final int ET = Native.EPOLLET;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final List<FileDescriptor> fds = new ArrayList<>();
    private final List<Integer> rawFds = new ArrayList<>();
    private EmulatedUserpollEpoll epoll;

    @BeforeAll
    static void loadNative() {
        assertNull(RingSources.nativeUnavailabilityCause(), "native library");
    }

    @AfterEach
    void closeEverything() {
        try {
            if (epoll != null) {
                epoll.close();
            }
        } finally {
            RingTestSockets.closeAll(fds);
            for (int fd : rawFds) {
                Native.close(fd);
            }
        }
    }

    @Nested
    class V3 extends AbstractRingSourceTest {
        @Override
        protected RingSource newSource() throws IOException {
            return EmulatedUserpollKernel.openRing(ringSize(), UserpollProtocol.V3);
        }
    }

    @Nested
    class V5 extends AbstractRingSourceTest {
        @Override
        protected RingSource newSource() throws IOException {
            return EmulatedUserpollKernel.openRing(ringSize(), UserpollProtocol.V5);
        }
    }

    // ---------------------------------------------------------------- the ring as the kernel lays it out

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void layoutIsTheKernels(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(100);
        MappedMemory header = epoll.header();
        int headerLength = header.getInt(HEADER_LENGTH_OFFSET);
        int indexLength = header.getInt(INDEX_LENGTH_OFFSET);
        int maxItems = header.getInt(MAX_ITEMS_NR_OFFSET);
        assertEquals(128, maxItems, "100 rounds up to a power of two");
        assertNull(UserpollRingLayout.validate(header.getInt(MAGIC_OFFSET), headerLength, indexLength, maxItems,
                Native.PAGE_SIZE));
        assertEquals(headerLength, header.length());
        assertEquals(indexLength, epoll.index().length());
        assertEquals(protocol, epoll.protocol());
    }

    @Test
    void sizeZeroOrAboveTheMaximumIsEinval() {
        EmulatedUserpollKernel kernel = new EmulatedUserpollKernel(UserpollProtocol.V3);
        for (int size : new int[] {0, UserpollRingLayout.MAX_ITEMS + 1}) {
            IOException e = assertThrows(IOException.class, () -> kernel.create(size));
            assertTrue(e.getMessage().contains("epoll_create2"), e.getMessage());
        }
    }

    @Test
    void detectionStaysReal() throws Exception {
        boolean kernelHasIt = UserpollRing.probe() == null;
        try (RingSource ring = EmulatedUserpollKernel.openRing(16, UserpollProtocol.V5)) {
            assertEquals(RingSources.USERPOLL, ring.name());
            assertEquals(kernelHasIt, RingSourceKind.USERPOLL.isAvailable(),
                    "an emulated ring must not make the userpoll source look available");
        }
    }

    // ---------------------------------------------------------------- epoll_ctl

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void addWithoutEpollEtOrWithEpollExclusiveIsEinval(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        int efd = eventFd();
        assertEquals(-Native.EINVAL, epoll.ctl(Native.EPOLL_CTL_ADD, efd, IN, 1));
        assertEquals(-Native.EINVAL, epoll.ctl(Native.EPOLL_CTL_ADD, efd, IN | ET | Native.EPOLLEXCLUSIVE, 1));
        assertEquals(-1, epoll.itemOf(efd), "a refused ADD takes no item");
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, efd, IN | ET | EmulatedUserpollEpoll.EPOLLWAKEUP, 1));
        int item = epoll.itemOf(efd);
        int events = epoll.header().getInt(UserpollRingLayout.itemOffset(item) + UserpollRingLayout.ITEM_EVENTS_OFFSET);
        assertEquals(IN | ET | Native.EPOLLERR | Native.EPOLLHUP, events, "EPOLLWAKEUP stripped, ERR|HUP added");
        assertEquals(-EmulatedUserpollEpoll.EEXIST, epoll.ctl(Native.EPOLL_CTL_ADD, efd, IN | ET, 2));
        assertEquals(-Native.EINVAL, epoll.ctl(Native.EPOLL_CTL_MOD, efd, IN, 2), "MOD is edge-triggered only too");
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_DEL, efd, 0, 0));
        assertEquals(-Native.ENOENT, epoll.ctl(Native.EPOLL_CTL_DEL, efd, 0, 0));
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void fullItemTableIsEnospcUntilAnItemIsFreed(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(3); // 4 items
        int[] efds = new int[5];
        for (int i = 0; i < efds.length; i++) {
            efds[i] = eventFd();
        }
        for (int i = 0; i < 4; i++) {
            assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, efds[i], IN | ET, i), "ADD " + i);
        }
        assertEquals(-Native.ENOSPC, epoll.ctl(Native.EPOLL_CTL_ADD, efds[4], IN | ET, 4));
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_DEL, efds[1], 0, 0));
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, efds[4], IN | ET, 4));
        assertEquals(1, epoll.itemOf(efds[4]), "the freed item is taken again");
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void ringRegisterNamesEnospcWhenItsItemsAreUsedUp(UserpollProtocol protocol) throws Exception {
        // 2 + the ring's eventfd and timerfd = 4 items.
        try (RingSource ring = EmulatedUserpollKernel.openRing(2, protocol)) {
            ring.register(eventFd(), IN, 1);
            ring.register(eventFd(), IN, 2);
            int third = eventFd();
            IOException e = assertThrows(IOException.class, () -> ring.register(third, IN, 3));
            assertTrue(e.getMessage().contains("ENOSPC"), e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void deleteOfAQueuedItemLeavesAnEntryMarkedRemoved(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        FileDescriptor[] p = pipe();
        int fd = p[0].intValue();
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, fd, IN | ET, 41));
        int item = epoll.itemOf(fd);
        write(p[1], 1);
        assertEquals(-Native.ESTALE, epoll.await(5000), "the write queues an entry");
        assertEquals(IN, epoll.ring().readyEvents(item));

        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_DEL, fd, 0, 0));
        assertEquals(EPOLLREMOVED, epoll.ring().readyEvents(item), "ready_events becomes exactly EPOLLREMOVED");
        assertEquals(1, epoll.ring().tail() - epoll.ring().head(), "the stale entry stays queued");
        write(p[1], 1); // no longer in the real set either
        sleepMillis(100);
        assertEquals(EPOLLREMOVED, epoll.ring().readyEvents(item));

        List<Long> seen = new ArrayList<>();
        UserpollRingConsumer consumer = new UserpollRingConsumer(epoll.header(), epoll.index(), protocol);
        assertEquals(0, consumer.drain((data, events) -> seen.add(data)), "the consumer drops it: " + seen);
        assertFalse(epoll.hasEntries());
        assertEquals(0, epoll.await(0), "an empty ring and no timeout: 0");
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void addReusingAStaleItemReusesItsQueuedEntry(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        FileDescriptor[] a = pipe();
        FileDescriptor[] b = pipe();
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, a[0].intValue(), IN | ET, 51));
        int item = epoll.itemOf(a[0].intValue());
        write(a[1], 1);
        assertEquals(-Native.ESTALE, epoll.await(5000));
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_DEL, a[0].intValue(), 0, 0));

        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, b[0].intValue(), IN | ET, 52));
        assertEquals(item, epoll.itemOf(b[0].intValue()), "the lowest free item is the stale one");
        write(b[1], 1);
        waitFor(() -> epoll.ring().readyEvents(item) == IN, "B's IN replacing EPOLLREMOVED");
        assertEquals(1, epoll.ring().tail() - epoll.ring().head(), "no second entry for the item");

        List<Long> seen = new ArrayList<>();
        UserpollRingConsumer consumer = new UserpollRingConsumer(epoll.header(), epoll.index(), protocol);
        assertEquals(1, consumer.drain((data, events) -> seen.add(data)));
        assertEquals(List.of(52L), seen, "the old entry delivers the new registration's data");
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void wakeupsOfAQueuedItemCoalesceIntoItsEntry(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        FileDescriptor[] a = pipe();
        FileDescriptor[] b = pipe();
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, a[0].intValue(), IN | ET, 61));
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, b[0].intValue(), IN | ET, 62));
        write(a[1], 1);
        assertEquals(-Native.ESTALE, epoll.await(5000));
        write(a[1], 1); // a new edge for a: its bits are ORed into the queued entry
        write(b[1], 1);
        waitFor(() -> epoll.ring().tail() - epoll.ring().head() >= 2, "b's entry");
        sleepMillis(50); // a's second edge may be published by another producer thread than b's
        assertEquals(2, epoll.ring().tail() - epoll.ring().head(), "one entry per item");

        List<Long> seen = new ArrayList<>();
        UserpollRingConsumer consumer = new UserpollRingConsumer(epoll.header(), epoll.index(), protocol);
        assertEquals(2, consumer.drain((data, events) -> seen.add(data)));
        assertEquals(List.of(61L, 62L), seen);
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void churnNeverPublishesForAnEndedRegistration(UserpollProtocol protocol) throws Exception {
        // Four producers race every DEL with events they already took from the real set.
        epoll = new EmulatedUserpollKernel(protocol, 4).create(64);
        int live = 32;
        FileDescriptor[][] pipes = new FileDescriptor[live][];
        long[] dataOf = new long[live];
        long nextData = 1;
        for (int i = 0; i < live; i++) {
            pipes[i] = pipe();
            dataOf[i] = nextData++;
            assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, pipes[i][0].intValue(), IN | ET, dataOf[i]));
        }
        // Ended registrations, and fresh ones on a still empty pipe: neither may see an entry.
        Set<Long> silent = new HashSet<>();
        List<Long> wrong = new ArrayList<>();
        UserpollRingConsumer consumer = new UserpollRingConsumer(epoll.header(), epoll.index(), protocol);
        ReadyHandler check = (data, events) -> {
            if (silent.contains(data)) {
                wrong.add(data);
            }
        };
        int delivered = 0;
        for (int round = 0; round < 3000; round++) {
            silent.remove(dataOf[round % live]); // written from here on, up to the next round's victim
            for (FileDescriptor[] p : pipes) {
                write(p[1], 1);
            }
            int victim = (round + 1) % live;
            int fd = pipes[victim][0].intValue();
            assertEquals(0, epoll.ctl(Native.EPOLL_CTL_DEL, fd, 0, 0));
            silent.add(dataOf[victim]);
            closePipe(pipes[victim]);
            pipes[victim] = pipe(); // usually the numbers just closed
            dataOf[victim] = nextData++;
            silent.add(dataOf[victim]); // an empty pipe: an entry now could only be its predecessor's event
            assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, pipes[victim][0].intValue(), IN | ET, dataOf[victim]));
            delivered += consumer.drain(check);
        }
        assertEquals(List.of(), wrong, "entries for ended registrations, or carried over into their items");
        assertTrue(delivered > 3000, "only " + delivered + " deliveries in 3000 rounds of 32 writes");
    }

    // ---------------------------------------------------------------- the park

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void parkIsEstaleAtOnceWhileEntriesAreQueued(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        int efd = eventFd();
        assertEquals(0, epoll.ctl(Native.EPOLL_CTL_ADD, efd, IN | ET, 71));
        assertTrue(Native.eventFdWrite(efd, 1) > 0);
        assertEquals(-Native.ESTALE, epoll.await(5000), "woken by the entry");
        for (int timeout : new int[] {0, 10_000, -1}) {
            long start = System.nanoTime();
            assertEquals(-Native.ESTALE, epoll.await(timeout), "timeout " + timeout);
            long took = System.nanoTime() - start;
            assertTrue(took < TimeUnit.SECONDS.toNanos(2), "ESTALE took " + took / 1_000_000 + " ms");
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void parkOnAnEmptyRingTimesOutWithZero(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        long start = System.nanoTime();
        assertEquals(0, epoll.await(50));
        long took = System.nanoTime() - start;
        assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(40), "took " + took / 1000 + " us");
        assertTrue(took < TimeUnit.SECONDS.toNanos(2), "took " + took / 1_000_000 + " ms");
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void interruptEndsAParkWithEintr(UserpollProtocol protocol) throws Exception {
        epoll = new EmulatedUserpollKernel(protocol).create(8);
        Thread parked = Thread.currentThread();
        Thread interrupter = new Thread(() -> {
            sleepMillis(100);
            parked.interrupt();
        }, "emulated-userpoll-interrupter");
        interrupter.start();
        long start = System.nanoTime();
        int res = epoll.await(-1);
        long took = System.nanoTime() - start;
        interrupter.join();
        assertEquals(-Native.EINTR, res);
        assertTrue(took < TimeUnit.SECONDS.toNanos(2), "took " + took / 1_000_000 + " ms");
        assertFalse(Thread.interrupted(), "the interrupt is consumed, as a handled signal is");
    }

    // ---------------------------------------------------------------- helpers

    private FileDescriptor[] pipe() throws IOException {
        FileDescriptor[] p = FileDescriptor.pipe();
        fds.add(p[0]);
        fds.add(p[1]);
        return p;
    }

    private void closePipe(FileDescriptor[] p) throws IOException {
        fds.remove(p[0]);
        fds.remove(p[1]);
        p[0].close();
        p[1].close();
    }

        private int eventFd() throws IOException {
        int fd = Errno.check("eventfd", Native.eventFd());
        rawFds.add(fd);
        return fd;
    }

    private static void waitFor(BooleanSupplier done, String what) {
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            sleepMillis(1);
        }
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
