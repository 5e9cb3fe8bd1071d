package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static dev.userpoll.transport.ring.UserpollRingLayout.EPOLLREMOVED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consumer against {@link UserpollTestProducer}, the kernel's publish protocol over the kernel's layout. */
class UserpollRingConsumerTest {
    private static final long DATA_BASE = 0x5EED_0000_0000_0000L;
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static int in;
    private static int out;
    private static int rdhup;
    private static int err;
    private static int hup;

    @BeforeAll
    static void loadNative() {
        assertNull(RingSources.nativeUnavailabilityCause());
        in = Native.EPOLLIN;
        out = Native.EPOLLOUT;
        rdhup = Native.EPOLLRDHUP;
        err = Native.EPOLLERR;
        hup = Native.EPOLLHUP;
    }

    /** Records deliveries in order. */
    private static final class Recorder implements ReadyHandler {
        final List<long[]> events = new ArrayList<>();

        @Override
        public void ready(long data, int ev) {
            events.add(new long[] {data, ev});
        }

        void assertNext(long data, int ev) {
            assertFalse(events.isEmpty(), "no more deliveries; expected data " + Long.toHexString(data));
            long[] e = events.remove(0);
            assertEquals(data, e[0], "data");
            assertEquals(ev, (int) e[1], "events of " + Long.toHexString(data));
        }

        void assertNone() {
            assertTrue(events.isEmpty(), () -> events.size() + " unexpected deliveries");
        }
    }

    @Test
    void layoutMatchesTheKernelFormulas() throws Exception {
        assertEquals(4096, UserpollRingLayout.headerLength(8, 4096));
        assertEquals(4096, UserpollRingLayout.indexLength(8, 4096));
        assertEquals(1024, UserpollRingLayout.indexSlots(UserpollRingLayout.indexLength(8, 4096)));
        assertEquals(4096 * 5, UserpollRingLayout.headerLength(1024, 4096)); // 128 + 16 KiB -> 5 pages
        assertEquals(4096, UserpollRingLayout.indexLength(1024, 4096));
        assertEquals(262144, UserpollRingLayout.indexLength(65536, 4096));
        assertEquals(4096 + 1048576, UserpollRingLayout.headerLength(65536, 4096));
        assertEquals(16, UserpollRingLayout.itemsFor(9));
        assertThrows(IllegalArgumentException.class, () -> UserpollRingLayout.itemsFor(0));
        assertThrows(IllegalArgumentException.class, () -> UserpollRingLayout.itemsFor(65537));
        assertNull(UserpollRingLayout.validate(0xeb01eb01, 4096, 4096, 8, 4096));
        assertTrue(UserpollRingLayout.validate(0, 4096, 4096, 8, 4096).contains("magic"));
        assertTrue(UserpollRingLayout.validate(0xeb01eb01, 8192, 4096, 8, 4096).contains("header_length"));
        assertTrue(UserpollRingLayout.validate(0xeb01eb01, 4096, 8192, 8, 4096).contains("index_length"));
        try (UserpollTestProducer producer = new UserpollTestProducer(UserpollProtocol.V3, 1000)) {
            assertEquals(1024, producer.maxItems);
            assertEquals(1023, producer.mask);
            assertEquals(producer.headerLength, producer.header.length());
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void deliversInQueueOrderWithFullDataWords(UserpollProtocol protocol) throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            for (int item = 0; item < 8; item++) {
                producer.register(item, in | out, 0xDEADBEEF_00000000L | item);
            }
            assertFalse(consumer.hasEntries());
            assertEquals(0, consumer.drain(recorder));
            assertTrue(producer.publish(5, in));
            assertTrue(producer.publish(0, out));
            assertTrue(producer.publish(7, in | out));
            assertTrue(consumer.hasEntries());
            assertEquals(3, consumer.drain(recorder));
            recorder.assertNext(0xDEADBEEF_00000005L, in);
            recorder.assertNext(0xDEADBEEF_00000000L, out);
            recorder.assertNext(0xDEADBEEF_00000007L, in | out);
            recorder.assertNone();
            assertFalse(consumer.hasEntries());
            assertEquals(3, producer.head());
            for (int item = 0; item < 8; item++) {
                assertEquals(0, producer.readyEvents(item));
            }
            // v3 clears the slots it consumed (the kernel never does); v5 leaves them.
            assertEquals(protocol == UserpollProtocol.V3 ? 0 : 5, producer.slot(0));
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void coalescesReadyEventsIntoOneEntry(UserpollProtocol protocol) throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            producer.register(3, in | out | rdhup, DATA_BASE + 3);
            assertTrue(producer.publish(3, in));
            assertFalse(producer.publish(3, out), "second wakeup must not queue a second entry");
            assertFalse(producer.publish(3, in));
            assertEquals(1, producer.tail());
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 3, in | out);
            recorder.assertNone();
            // After the exchange the item queues again.
            assertTrue(producer.publish(3, rdhup));
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 3, rdhup);
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void dropsEntriesOfItemsDeletedWhileQueued(UserpollProtocol protocol) throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            for (int item = 0; item < 4; item++) {
                producer.register(item, in | out, DATA_BASE + item);
            }
            producer.publish(1, in);
            producer.publish(2, in);
            producer.delete(1);
            assertEquals(EPOLLREMOVED, producer.readyEvents(1));
            producer.delete(3); // not queued: stays 0
            assertEquals(0, producer.readyEvents(3));
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 2, in);
            recorder.assertNone();
            assertEquals(0, producer.readyEvents(1), "the stale entry's item is reset");
            assertFalse(consumer.hasEntries());

            // Deleted while queued, then the item is reused by a new ADD before the consumer comes: the
            // old entry carries the new registration's bits and data, and no second entry is queued.
            producer.publish(0, in);
            producer.delete(0);
            producer.register(0, out, DATA_BASE + 100);
            assertFalse(producer.publish(0, out));
            assertEquals(out, producer.readyEvents(0), "EPOLLREMOVED is cleared by the new wakeup");
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 100, out);
            recorder.assertNone();
            assertEquals(producer.tail(), producer.head());
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void masksWakeupBitsByTheInterestSet(UserpollProtocol protocol) throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            producer.register(2, in, DATA_BASE + 2);
            producer.publish(2, in | out);
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 2, in);
            // Only bits outside the interest: the entry is consumed, nothing is delivered, the item resets.
            producer.publish(2, out);
            assertEquals(0, consumer.drain(recorder));
            recorder.assertNone();
            assertEquals(0, producer.readyEvents(2));
            assertFalse(consumer.hasEntries());
            // ERR and HUP always pass.
            producer.publish(2, out | err | hup);
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 2, err | hup);
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void headAndTailWrapPast2To32(UserpollProtocol protocol) throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, 16)) {
            int start = 0xFFFFFF00;
            producer.startAt(start);
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            for (int item = 0; item < 16; item++) {
                producer.register(item, in | out, DATA_BASE + item);
            }
            int total = 0;
            for (int round = 0; round < 40; round++) { // 40 * 16 = 640 entries: wraps at 256
                for (int k = 0; k < 16; k++) {
                    int item = (k * 7 + round) & 15;
                    assertTrue(producer.publish(item, (round & 1) == 0 ? in : out));
                }
                assertEquals(16, consumer.drain(recorder));
                for (int k = 0; k < 16; k++) {
                    recorder.assertNext(DATA_BASE + ((k * 7 + round) & 15), (round & 1) == 0 ? in : out);
                }
                total += 16;
                assertEquals(start + total, producer.head());
                assertEquals(producer.tail(), producer.head());
                assertFalse(consumer.hasEntries());
            }
            assertEquals(384, producer.head(), "head passed 2^32 and kept counting");
        }
    }

    @Test
    void v3EndsTheDrainAtAReservedButUnwrittenSlotAndResumesThere() throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(UserpollProtocol.V3, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            producer.register(1, in, DATA_BASE + 1);
            producer.register(2, in, DATA_BASE + 2);
            producer.publish(1, in);
            // The kernel's window: ready_events set and tail bumped, slot not yet written.
            assertEquals(0, producer.readyEvents(2));
            producer.header.putIntVolatile(UserpollRingLayout.itemOffset(2), in);
            int position = producer.reserveV3();
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 1, in);
            assertEquals(position, producer.head(), "head waits on the unwritten slot");
            assertTrue(consumer.hasEntries());
            producer.writeV3(position, 2);
            assertEquals(1, consumer.drain(recorder));
            recorder.assertNext(DATA_BASE + 2, in);
            assertFalse(consumer.hasEntries());
        }
    }

    @Test
    void v3WaitsForASlotWrittenWhileItSpins() throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(UserpollProtocol.V3, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            producer.register(4, in, DATA_BASE + 4);
            producer.header.putIntVolatile(UserpollRingLayout.itemOffset(4), in);
            int position = producer.reserveV3();
            Thread writer = new Thread(() -> producer.writeV3(position, 4));
            Recorder recorder = new Recorder();
            writer.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            int got = 0;
            while (got == 0 && System.nanoTime() < deadline) {
                got = consumer.drain(recorder);
            }
            writer.join();
            assertEquals(1, got);
            recorder.assertNext(DATA_BASE + 4, in);
        }
    }

    @Test
    void v5EntryNamingNoItemIsCorruption() throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(UserpollProtocol.V5, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            Recorder recorder = new Recorder();
            producer.register(6, in, DATA_BASE + 6);
            producer.publish(6, in);
            producer.publishRawEntry(8); // max_items_nr is 8: items are 0..7
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> consumer.drain(recorder));
            assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("= 8"), e.getMessage());
            recorder.assertNext(DATA_BASE + 6, in); // the good entry before it was delivered
            assertEquals(1, producer.head(), "head stays on the corrupt entry");
            assertThrows(IllegalStateException.class, () -> consumer.drain(recorder));
            assertEquals(1, producer.head());
            recorder.assertNone();
        }
    }

    @Test
    void v3EntryNamingNoItemIsCorruption() throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(UserpollProtocol.V3, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            producer.publishRawEntry(9); // item + 1 == 9 names item 8 of 0..7
            assertThrows(IllegalStateException.class, () -> consumer.drain(new Recorder()));
            assertEquals(0, producer.head());
        }
    }

    @ParameterizedTest
    @EnumSource(UserpollProtocol.class)
    void moreEntriesThanSlotsIsCorruption(UserpollProtocol protocol) throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, 8)) {
            UserpollRingConsumer consumer = producer.consumer();
            producer.setTail(1025); // 8 items use 1024 slots
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> consumer.drain(new Recorder()));
            assertTrue(e.getMessage().contains("slots"), e.getMessage());
            assertEquals(0, producer.head());
        }
    }

    @Test
    void refusesAHeaderItCannotIndexSafely() throws Exception {
        try (UserpollTestProducer producer = new UserpollTestProducer(UserpollProtocol.V5, 8)) {
            producer.header.putInt(UserpollRingLayout.MAX_ITEMS_NR_OFFSET, 1 << 20);
            assertThrows(IllegalArgumentException.class, producer::consumer);
            producer.header.putInt(UserpollRingLayout.MAX_ITEMS_NR_OFFSET, 8);
            producer.header.putInt(UserpollRingLayout.INDEX_LENGTH_OFFSET, 3000);
            assertThrows(IllegalArgumentException.class, producer::consumer);
            producer.header.putInt(UserpollRingLayout.INDEX_LENGTH_OFFSET, 8192); // larger than the mapping
            assertThrows(IllegalArgumentException.class, producer::consumer);
            producer.header.putInt(UserpollRingLayout.INDEX_LENGTH_OFFSET, 4096);
            producer.header.putInt(UserpollRingLayout.MAGIC_OFFSET, 0);
            assertThrows(IllegalArgumentException.class, producer::consumer);
        }
    }

    /**
     * Producer threads race the consumer for millions of wakeups over 1024 items, with head and tail
     * wrapping past 2^32 mid-run. Accounting, per item: each producer counts the wakeups that queued
     * an entry and those that coalesced into one already queued; the consumer must receive every
     * queued entry exactly once. And every single wakeup must be observed: a wakeup is one bit on a
     * lane (IN, OUT, RDHUP, ERR; each lane belongs to one producer), and a producer wakes an item on
     * a lane only after the consumer has delivered that lane's previous wakeup of the item, so a bit
     * lost anywhere (a non-atomic take of ready_events, a dropped entry) leaves a lane pending forever.
     * With as many producers as cores the consumer is starved and most wakeups coalesce; with fewer,
     * most queue an entry.
     */
    @ParameterizedTest(name = "{0}, {1} producers")
    @CsvSource({"V3, 1", "V5, 1", "V3, 2", "V5, 2", "V3, 3", "V5, 3"})
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void producersRacingTheConsumerLoseAndDuplicateNothing(UserpollProtocol protocol, int producers)
            throws Exception {
        final int items = 1024;
        final int wakeupsPerProducer = 3_000_000 / producers;
        final int[] lanes = {in, out, rdhup, err};
        final int interest = in | out | rdhup;
        final int startPosition = 0xFFFFFFFF - 10_000;
        try (UserpollTestProducer producer = new UserpollTestProducer(protocol, items)) {
            assertEquals(items, producer.maxItems);
            assertEquals(items - 1, producer.mask, "as many slots as items: the tightest ring");
            producer.startAt(startPosition);
            for (int item = 0; item < items; item++) {
                producer.register(item, interest, DATA_BASE + item);
            }
            UserpollRingConsumer consumer = producer.consumer();

            long[][] queued = new long[producers][items];
            long[][] coalesced = new long[producers][items];
            long[] received = new long[items];
            // pending[lane * items + item] == 1: that lane woke the item and the consumer has not delivered it yet.
            AtomicIntegerArray pending = new AtomicIntegerArray(lanes.length * items);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                final int id = p;
                Thread t = new Thread(() -> {
                    SplittableRandom random = new SplittableRandom(42 + id);
                    try {
                        start.await();
                        int n = 0;
                        long skips = 0;
                        long stallStart = 0;
                        while (n < wakeupsPerProducer && failure.get() == null) {
                            // This producer's lanes are those with lane % producers == id.
                            int lane = id + producers * random.nextInt((lanes.length - id + producers - 1) / producers);
                            // Skewed: a hot set of 16 items coalesces often, the rest queue often.
                            int item = random.nextInt(4) == 0 ? random.nextInt(16) : random.nextInt(items);
                            if (pending.get(lane * items + item) != 0) {
                                // Fail fast when deliveries stopped (lost wakeups leave lanes pending forever).
                                if (skips++ == 0) {
                                    stallStart = System.nanoTime();
                                } else if ((skips & 0xFFFF) == 0 && System.nanoTime() - stallStart > STALL_NANOS) {
                                    throw new AssertionError("producer " + id + " found no delivered lane for "
                                            + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS) + " s: wakeups are lost");
                                }
                                Thread.onSpinWait();
                                continue;
                            }
                            skips = 0;
                            pending.set(lane * items + item, 1);
                            if (producer.publish(item, lanes[lane])) {
                                queued[id][item]++;
                            } else {
                                coalesced[id][item]++;
                            }
                            n++;
                            // A wakeup's worth of other work, so that wakeups race drains.
                            for (int s = random.nextInt(16); s > 0; s--) {
                                Thread.onSpinWait();
                            }
                        }
                    } catch (Throwable t2) {
                        failure.compareAndSet(null, t2);
                    }
                }, "userpoll-producer-" + p);
                threads.add(t);
                t.start();
            }
            ReadyHandler sink = (data, events) -> {
                int item = (int) (data - DATA_BASE);
                if (item < 0 || item >= items || events == 0 || (events & ~(interest | err | hup)) != 0) {
                    failure.compareAndSet(null, new AssertionError(
                            "bad delivery data=" + Long.toHexString(data) + " events=" + Integer.toHexString(events)));
                    return;
                }
                received[item]++;
                for (int lane = 0; lane < lanes.length; lane++) {
                    if ((events & lanes[lane]) != 0 && pending.getAndSet(lane * items + item, 0) != 1) {
                        failure.compareAndSet(null, new AssertionError("item " + item + " delivered lane "
                                + lane + " that no wakeup set since the last delivery"));
                    }
                }
            };
            start.countDown();
            long deliveries = 0;
            while (threads.stream().anyMatch(Thread::isAlive)) {
                deliveries += consumer.drain(sink);
            }
            for (Thread t : threads) {
                t.join();
            }
            while (consumer.hasEntries()) {
                deliveries += consumer.drain(sink);
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }

            long totalQueued = 0;
            long totalCoalesced = 0;
            long[] queuedPerItem = new long[items];
            for (int p = 0; p < producers; p++) {
                for (int item = 0; item < items; item++) {
                    queuedPerItem[item] += queued[p][item];
                    totalQueued += queued[p][item];
                    totalCoalesced += coalesced[p][item];
                }
            }
            assertEquals((long) producers * wakeupsPerProducer, totalQueued + totalCoalesced);
            assertArrayEquals(queuedPerItem, received, "every queued entry exactly once, per item");
            for (int i = 0; i < pending.length(); i++) {
                assertEquals(0, pending.get(i), "wakeup of item " + (i % items) + " on lane " + (i / items)
                        + " was never delivered");
            }
            assertEquals(totalQueued, deliveries);
            assertEquals((int) (startPosition + totalQueued), producer.head());
            assertTrue(Integer.toUnsignedLong(producer.head()) < Integer.toUnsignedLong(startPosition),
                    "the counters wrapped during the run (queued " + totalQueued + ")");
            for (int item = 0; item < items; item++) {
                assertEquals(0, producer.readyEvents(item));
            }
            System.out.printf("%s, %d producers: %d wakeups, %d entries queued, %d coalesced%n",
                    protocol, producers, totalQueued + totalCoalesced, totalQueued, totalCoalesced);
        }
    }
}
