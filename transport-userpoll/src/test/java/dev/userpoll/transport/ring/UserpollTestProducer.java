package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

import static dev.userpoll.transport.ring.UserpollRingLayout.EPOLLREMOVED;
import static dev.userpoll.transport.ring.UserpollRingLayout.HEADER_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.HEAD_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.INDEX_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.ITEM_DATA_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.ITEM_EVENTS_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.ITEM_READY_EVENTS_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAGIC;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAGIC_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAX_ITEMS_NR_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.TAIL_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.indexOffset;
import static dev.userpoll.transport.ring.UserpollRingLayout.itemOffset;

/**
 * The kernel's half of the EPOLL_USERPOLL publish protocol (USERPOLL-ABI.md, "Publication"), over
 * anonymous memory laid out exactly as the kernel lays out its two mappings. {@link #publish} and
 * {@link #delete} may be called from any number of threads at once, as the kernel's wakeup callbacks
 * run on any CPU; {@link #register} is ADD/MOD and, like the kernel's, is not concurrent with itself.
 */
final class UserpollTestProducer implements AutoCloseable {
    /** v5 shadow counter: monotonic position (bits 32..63), pending advance (16..31), inserters inside (0..15). */
    private static final long SHADOW_INSERT = (1L << 32) | (1L << 16) | 1L;
    private static final long SHADOW_REFS = 0xFFFFL;
    private static final long SHADOW_ADVANCE_AND_REFS = 0xFFFFFFFFL;

    final UserpollProtocol protocol;
    final int maxItems;
    final int headerLength;
    final int indexLength;
    final int mask;
    final MappedMemory header;
    final MappedMemory index;
    /** v5: the kernel-private counter behind the user-visible tail. */
    private final AtomicLong shadow = new AtomicLong();

    /** A ring as {@code epoll_create2(EPOLL_USERPOLL, size)} makes it: {@code size} rounded up to a power of two. */
    UserpollTestProducer(UserpollProtocol protocol, int size) throws IOException {
        this.protocol = protocol;
        maxItems = UserpollRingLayout.itemsFor(size);
        headerLength = UserpollRingLayout.headerLength(maxItems, Native.PAGE_SIZE);
        indexLength = UserpollRingLayout.indexLength(maxItems, Native.PAGE_SIZE);
        mask = UserpollRingLayout.indexSlots(indexLength) - 1;
        header = MappedMemory.allocate(headerLength);
        MappedMemory idx;
        try {
            idx = MappedMemory.allocate(indexLength);
        } catch (IOException e) {
            header.close();
            throw e;
        }
        index = idx;
        header.putInt(MAGIC_OFFSET, MAGIC);
        header.putInt(HEADER_LENGTH_OFFSET, headerLength);
        header.putInt(INDEX_LENGTH_OFFSET, indexLength);
        header.putInt(MAX_ITEMS_NR_OFFSET, maxItems);
    }

    /** A consumer over this producer's memory. */
    UserpollRingConsumer consumer() {
        return new UserpollRingConsumer(header, index, protocol);
    }

    /** Sets head and tail (and the v5 shadow) to {@code position}; only on an empty ring, before any thread runs. */
    void startAt(int position) {
        header.putIntVolatile(HEAD_OFFSET, position);
        header.putIntVolatile(TAIL_OFFSET, position);
        shadow.set((position & 0xFFFFFFFFL) << 32);
    }

    /** EPOLL_CTL_ADD/MOD of {@code item}: writes {@code events} (plus the ERR|HUP the kernel adds) and data. */
    void register(int item, int events, long data) {
        int offset = itemOffset(item);
        header.putLong(offset + ITEM_DATA_OFFSET, data);
        header.putIntRelease(offset + ITEM_EVENTS_OFFSET, events | Native.EPOLLERR | Native.EPOLLHUP);
    }

    /**
     * A wakeup of {@code item} with the raw key {@code bits}: ORs them in (clearing EPOLLREMOVED, as the
     * kernel does) and queues an entry only when the item was not ready before. Returns whether it queued.
     */
    boolean publish(int item, int bits) {
        int offset = itemOffset(item) + ITEM_READY_EVENTS_OFFSET;
        int old = header.getIntVolatile(offset);
        for (;;) {
            int witness = old;
            if (header.compareAndSetInt(offset, witness, (witness & ~EPOLLREMOVED) | bits)) {
                break;
            }
            old = header.getIntVolatile(offset);
        }
        if (old != 0) {
            return false; // already queued (or deleted while queued: the old entry carries the new bits)
        }
        if (protocol == UserpollProtocol.V3) {
            queueV3(item);
        } else {
            queueV5(item);
        }
        return true;
    }

    /** EPOLL_CTL_DEL of {@code item}: if queued, its ready_events becomes exactly EPOLLREMOVED. */
    void delete(int item) {
        int offset = itemOffset(item) + ITEM_READY_EVENTS_OFFSET;
        for (;;) {
            int val = header.getIntVolatile(offset);
            if (val == 0 || header.compareAndSetInt(offset, val, EPOLLREMOVED)) {
                return;
            }
        }
    }

    /** v3: reserve on the user-visible tail itself, then write the slot (the consumer may see 0 first). */
    private void queueV3(int item) {
        int position = reserveV3();
        writeV3(position, item);
    }

    /** v3, first half of a publication: {@code tail++}; returns the reserved position. */
    int reserveV3() {
        return header.getAndAddInt(TAIL_OFFSET, 1);
    }

    /** v3, second half: {@code index[position & mask] = item + 1}. */
    void writeV3(int position, int item) {
        index.putIntRelease(indexOffset(position, mask), item + 1);
    }

    /**
     * v5: take a position and a reference on the shadow counter, write the slot, drop the reference;
     * whoever drops the last one moves {@code tail} over every slot taken since the last move, all of
     * which are written by then (refs == 0). Concurrent movers add disjoint advances, so any
     * intermediate tail only covers written slots.
     */
    private void queueV5(int item) {
        long taken = shadow.getAndAdd(SHADOW_INSERT);
        int position = (int) (taken >>> 32);
        index.putInt(indexOffset(position, mask), item); // published by the release of tail below
        long now = shadow.addAndGet(-1);
        while ((now & SHADOW_REFS) == 0) {
            long advance = (now >>> 16) & 0xFFFF;
            if (advance == 0) {
                return; // another leaver published this group
            }
            if (shadow.compareAndSet(now, now & ~SHADOW_ADVANCE_AND_REFS)) {
                header.getAndAddInt(TAIL_OFFSET, (int) advance); // volatile RMW: releases the slot writes
                return;
            }
            now = shadow.get();
        }
    }

    /** Publishes a raw index entry (corruption tests); single-threaded use only. */
    void publishRawEntry(int value) {
        int position = header.getIntVolatile(TAIL_OFFSET);
        index.putIntRelease(indexOffset(position, mask), value);
        header.putIntRelease(TAIL_OFFSET, position + 1);
        shadow.set(((position + 1) & 0xFFFFFFFFL) << 32);
    }

    /** Sets tail directly (corruption tests). */
    void setTail(int tail) {
        header.putIntRelease(TAIL_OFFSET, tail);
    }

    int head() {
        return header.getIntVolatile(HEAD_OFFSET);
    }

    int tail() {
        return header.getIntVolatile(TAIL_OFFSET);
    }

    int readyEvents(int item) {
        return header.getIntVolatile(itemOffset(item) + ITEM_READY_EVENTS_OFFSET);
    }

    int slot(int position) {
        return index.getIntVolatile(indexOffset(position, mask));
    }

    @Override
    public void close() {
        index.close();
        header.close();
    }
}
