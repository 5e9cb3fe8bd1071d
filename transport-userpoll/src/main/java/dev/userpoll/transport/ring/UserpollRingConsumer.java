package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import static dev.userpoll.transport.ring.UserpollRingLayout.EPOLLREMOVED;
import static dev.userpoll.transport.ring.UserpollRingLayout.HEAD_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.INDEX_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.ITEM_DATA_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.ITEM_EVENTS_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.ITEM_READY_EVENTS_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAGIC;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAGIC_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAX_ITEMS;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAX_ITEMS_NR_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.TAIL_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.indexOffset;
import static dev.userpoll.transport.ring.UserpollRingLayout.itemOffset;

/**
 * User space's half of the EPOLL_USERPOLL ring (USERPOLL-ABI.md, "consume"): takes the entries the
 * kernel published between {@code head} and {@code tail}, takes each item's ready bits, and hands
 * {@code (data, events)} to a sink. It only reads and writes the two shared regions, so it runs the
 * same against the kernel's mapping, an emulated kernel, or test memory.
 * <ul>
 *   <li>{@code head} and {@code tail} are free-running u32 counters: compared with {@code !=}, masked
 *       on use, wrapping past 2^32 (int arithmetic does exactly that).</li>
 *   <li>The kernel ORs raw wakeup bits into {@code ready_events} (not masked by the interest set), so
 *       the bits delivered are masked by the item's {@code events} plus ERR and HUP.</li>
 *   <li>An entry whose item was deleted while queued ({@code EPOLLREMOVED}) or that carries no bits is
 *       consumed and dropped.</li>
 *   <li>v3 only: the kernel bumps {@code tail} before it writes the slot, so a slot may still read 0.
 *       The consumer spins on it for at most {@link #SPIN_LIMIT} rounds, then ends the drain there
 *       (head stays on that slot; the next drain resumes), so a late writer never hangs the loop.</li>
 *   <li>Corruption (an entry naming an item {@code >= max_items_nr}, or more entries than slots) is a
 *       kernel bug or a foreign writer: the source cannot go on without losing an item forever (its
 *       {@code ready_events} would stay non-zero, and the kernel queues an item only from 0), so
 *       {@link #drain} throws {@link IllegalStateException} naming the position and value, leaves
 *       {@code head} on the bad entry (every later drain throws the same), and the owner closes the ring.</li>
 * </ul>
 * Loop thread only. {@link #drain} never allocates (except the exception on corruption).
 */
final class UserpollRingConsumer {
    /** Rounds of {@link Thread#onSpinWait()} on a reserved but unwritten v3 slot before the drain ends. */
    static final int SPIN_LIMIT = 1 << 14;

    /** The kernel always reports these, whatever the interest set says. */
    private static final int ALWAYS_DELIVERED = Native.EPOLLERR | Native.EPOLLHUP;

    private final MappedMemory header;
    private final MappedMemory index;
    private final UserpollProtocol protocol;
    private final int maxItems;
    private final int slots;
    private final int mask;

    /**
     * @param header   {@code epoll_uheader} and {@code items[]} (file offset 0, {@code header_length} bytes)
     * @param index    the index ring (file offset {@code header_length}, {@code index_length} bytes)
     * @param protocol how the producer publishes entries
     * @throws IllegalArgumentException when the header is not one the consumer can index safely
     */
    UserpollRingConsumer(MappedMemory header, MappedMemory index, UserpollProtocol protocol) {
        int magic = header.getInt(MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new IllegalArgumentException(String.format("magic is 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        int maxItems = header.getInt(MAX_ITEMS_NR_OFFSET);
        int indexLength = header.getInt(INDEX_LENGTH_OFFSET);
        if (maxItems <= 0 || maxItems > MAX_ITEMS) {
            throw new IllegalArgumentException("max_items_nr: " + Integer.toUnsignedString(maxItems));
        }
        if (itemOffset(maxItems) > header.length()) {
            throw new IllegalArgumentException(maxItems + " items do not fit in a header mapping of "
                    + header.length() + " bytes");
        }
        int slots = UserpollRingLayout.indexSlots(indexLength);
        if (indexLength <= 0 || Integer.bitCount(indexLength) != 1 || slots < maxItems
                || indexLength > index.length()) {
            throw new IllegalArgumentException("index_length " + Integer.toUnsignedString(indexLength)
                    + " is not a power of two holding " + maxItems + " entries within a mapping of "
                    + index.length() + " bytes");
        }
        this.header = header;
        this.index = index;
        this.protocol = protocol;
        this.maxItems = maxItems;
        this.slots = slots;
        this.mask = slots - 1;
    }

    UserpollProtocol protocol() {
        return protocol;
    }

    int maxItems() {
        return maxItems;
    }

    /** Whether the kernel has published entries not yet consumed ({@code head != tail}, tail acquired). */
    boolean hasEntries() {
        return header.getInt(HEAD_OFFSET) != header.getIntAcquire(TAIL_OFFSET);
    }

    /**
     * Consumes every entry published before the call (one acquire load of {@code tail}) and calls
     * {@code sink.ready(data, events)} for each that carries deliverable bits; returns how many did.
     * {@code head} is published after each entry and before its delivery, so the sink may throw or
     * re-enter without leaving the ring inconsistent.
     */
    int drain(ReadyHandler sink) {
        int head = header.getInt(HEAD_OFFSET); // only this thread writes head
        // Acquire pairs with the kernel's release of tail: for v5 every slot below it is written.
        int tail = header.getIntAcquire(TAIL_OFFSET);
        if (Integer.compareUnsigned(tail - head, slots) > 0) {
            throw corrupt("head " + Integer.toUnsignedString(head) + " and tail " + Integer.toUnsignedString(tail)
                    + " are more than the " + slots + " slots apart");
        }
        int delivered = 0;
        while (head != tail) {
            int slot = indexOffset(head, mask);
            int item;
            if (protocol == UserpollProtocol.V3) {
                int idx = awaitWritten(slot);
                if (idx == 0) {
                    break; // reserved but still unwritten: resume here next time
                }
                item = checkItem(idx - 1, head, idx);
                // The kernel never clears a slot. This plain store is ordered before the exchange below
                // (a full fence), and the item cannot be queued again, nor this slot reused, before it.
                index.putInt(slot, 0);
            } else {
                // Plain load: the acquire of tail above already made every slot below it visible.
                int idx = index.getInt(slot);
                item = checkItem(idx, head, idx);
            }
            int itemOffset = itemOffset(item);
            long data = header.getLong(itemOffset + ITEM_DATA_OFFSET);
            // Exchange, not load+store: the kernel may OR new bits in at any moment; those after the
            // exchange see 0 and queue a new entry, so no wakeup is lost or reported twice.
            int ready = header.getAndSetInt(itemOffset + ITEM_READY_EVENTS_OFFSET, 0);
            int interest = header.getInt(itemOffset + ITEM_EVENTS_OFFSET);
            head++;
            // Release: our reads of this slot and item happen before the kernel sees the entry consumed.
            header.putIntRelease(HEAD_OFFSET, head);
            if (ready == 0 || (ready & EPOLLREMOVED) != 0) {
                continue; // deleted while queued, or nothing left to report
            }
            int events = ready & (interest | ALWAYS_DELIVERED);
            if (events != 0) {
                sink.ready(data, events);
                delivered++;
            }
        }
        return delivered;
    }

    /** v3: the slot of a reserved entry, once the kernel has written it; 0 when it did not in time. */
    private int awaitWritten(int slot) {
        // Acquire pairs with the kernel's write of the slot (followed by its smp_wmb).
        int idx = index.getIntAcquire(slot);
        for (int spins = 0; idx == 0 && spins < SPIN_LIMIT; spins++) {
            Thread.onSpinWait();
            idx = index.getIntAcquire(slot);
        }
        return idx;
    }

    private int checkItem(int item, int head, int raw) {
        if (Integer.compareUnsigned(item, maxItems) >= 0) {
            throw corrupt("index[" + Integer.toUnsignedString(head) + " & " + mask + "] = "
                    + Integer.toUnsignedString(raw) + " names no item (max_items_nr " + maxItems + ")");
        }
        return item;
    }

    private IllegalStateException corrupt(String what) {
        return new IllegalStateException("userpoll ring corrupt (" + protocol + "): " + what);
    }
}
