package dev.userpoll.transport.ring;

/**
 * Every offset, size and constant of the EPOLL_USERPOLL shared memory (RFC v3..v5, see
 * USERPOLL-ABI.md), in one place, as Agrona's {@code RingBufferDescriptor} does for its rings.
 * <pre>
 * mapping 1, at file offset 0, header_length bytes:
 *   0   u32 magic          0xeb01eb01
 *   4   u32 header_length  PAGE_ALIGN(128 + 16 * max_items_nr)
 *   8   u32 index_length   max(PAGE_SIZE, roundup_pow_of_two(4 * max_items_nr))
 *   12  u32 max_items_nr
 *   16  u32 head           written by user space (free-running)
 *   20  u32 tail           written by the kernel (free-running)
 *   128 struct epoll_uitem items[max_items_nr], 16 bytes each:
 *         0 u32 ready_events, 4 u32 events, 8 u64 data
 * mapping 2, at file offset header_length, index_length bytes:
 *   u32 index[index_length / 4]   (v3: item + 1, 0 = not yet written; v5: item)
 * </pre>
 * All fields are little-endian on x86_64 (native order).
 */
public final class UserpollRingLayout {
    /** The flag of {@code epoll_create2} that asks for a user-polled epoll. */
    public static final int EPOLL_USERPOLL = 1;
    /** {@code EPOLL_CLOEXEC}, which is {@code O_CLOEXEC} (x86_64 and the generic ABI). */
    public static final int EPOLL_CLOEXEC = 0x80000;
    /** Set by the kernel in {@code ready_events} of an item deleted while an entry for it was queued. */
    public static final int EPOLLREMOVED = 1 << 27;
    /** First u32 of the header. */
    public static final int MAGIC = 0xeb01eb01;
    /** {@code EP_USERPOLL_MAX_ITEMS_NR}: {@code epoll_create2} refuses larger sizes with EINVAL. */
    public static final int MAX_ITEMS = 65536;
    /** Syscall number of {@code epoll_create2} on x86_64 in RFC v3 ({@code open_tree} on mainline). */
    public static final int SYSCALL_EPOLL_CREATE2_V3 = 428;
    /** Syscall number of {@code epoll_create2} on x86_64 in RFC v4/v5 ({@code openat2} on mainline). */
    public static final int SYSCALL_EPOLL_CREATE2_V5 = 437;

    // struct epoll_uheader
    public static final int MAGIC_OFFSET = 0;
    public static final int HEADER_LENGTH_OFFSET = 4;
    public static final int INDEX_LENGTH_OFFSET = 8;
    public static final int MAX_ITEMS_NR_OFFSET = 12;
    public static final int HEAD_OFFSET = 16;
    public static final int TAIL_OFFSET = 20;
    /** {@code EPOLL_USERPOLL_HEADER_SIZE}: {@code items[]} start here. */
    public static final int HEADER_SIZE = 128;

    // struct epoll_uitem
    public static final int ITEM_SIZE = 16;
    public static final int ITEM_READY_EVENTS_OFFSET = 0;
    public static final int ITEM_EVENTS_OFFSET = 4;
    public static final int ITEM_DATA_OFFSET = 8;

    /** One entry of the index ring is a u32. */
    public static final int INDEX_ENTRY_SIZE = 4;

    private UserpollRingLayout() {
    }

    /** Byte offset, in the header mapping, of {@code items[item]}. */
    public static int itemOffset(int item) {
        return HEADER_SIZE + item * ITEM_SIZE;
    }

    /** Byte offset, in the index mapping, of the slot for the free-running position {@code position}. */
    public static int indexOffset(int position, int mask) {
        return (position & mask) * INDEX_ENTRY_SIZE;
    }

    /** {@code header_length} the kernel computes for {@code maxItems} items. */
    public static int headerLength(int maxItems, int pageSize) {
        return pageAlign(HEADER_SIZE + ITEM_SIZE * maxItems, pageSize);
    }

    /** {@code index_length} the kernel computes for {@code maxItems} items. */
    public static int indexLength(int maxItems, int pageSize) {
        return Math.max(pageSize, roundUpPowerOfTwo(INDEX_ENTRY_SIZE * maxItems));
    }

    /** Slots of the index ring ({@code index_length / 4}); a power of two, never fewer than the items. */
    public static int indexSlots(int indexLength) {
        return indexLength / INDEX_ENTRY_SIZE;
    }

    /** The item count the kernel makes of a requested size: rounded up to a power of two. */
    public static int itemsFor(int size) {
        if (size <= 0 || size > MAX_ITEMS) {
            throw new IllegalArgumentException("size: " + size + " (expected 1.." + MAX_ITEMS + ")");
        }
        return roundUpPowerOfTwo(size);
    }

    /**
     * Checks a header the kernel wrote against the formulas above, so that a consumer never trusts
     * lengths it would index memory with. Returns {@code null} when consistent, else what is wrong.
     */
    public static String validate(int magic, int headerLength, int indexLength, int maxItems, int pageSize) {
        if (magic != MAGIC) {
            return String.format("magic is 0x%08x, expected 0x%08x", magic, MAGIC);
        }
        if (maxItems <= 0 || maxItems > MAX_ITEMS) {
            return "max_items_nr is " + Integer.toUnsignedString(maxItems) + ", expected 1.." + MAX_ITEMS;
        }
        if (headerLength != headerLength(maxItems, pageSize)) {
            return "header_length is " + Integer.toUnsignedString(headerLength) + ", expected "
                    + headerLength(maxItems, pageSize) + " for " + maxItems + " items";
        }
        if (indexLength != indexLength(maxItems, pageSize)) {
            return "index_length is " + Integer.toUnsignedString(indexLength) + ", expected "
                    + indexLength(maxItems, pageSize) + " for " + maxItems + " items";
        }
        return null;
    }

    static int pageAlign(int length, int pageSize) {
        return (length + pageSize - 1) & -pageSize;
    }

    static int roundUpPowerOfTwo(int value) {
        return value <= 1 ? 1 : Integer.highestOneBit(value - 1) << 1;
    }
}
