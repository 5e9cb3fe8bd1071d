package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

/**
 * Where everything lives in one io_uring's mapped rings: the addresses and sizes of the three
 * mappings {@code Native.ioUringSetup} made, and the byte offsets the kernel reported for the SQ and
 * CQ ring fields ({@code io_sqring_offsets} / {@code io_cqring_offsets}) and for the SQE/CQE fields.
 * Built once from the {@code long[]} that {@code ioUringSetup} fills; its index order is the enum in
 * {@code userpoll_io_uring.c} ({@code OUT_FEATURES, OUT_SETUP_FLAGS, ...}). Offsets of ring fields
 * are relative to their ring's mapping; SQE/CQE field offsets are relative to the entry.
 */
final class IoUringRingLayout {
    // Indices into the setup result; the order is the C enum's. The C side also fills OUT_SQ_DROPPED (15),
    // OUT_CQ_RING_ENTRIES (20), OUT_CQ_OVERFLOW (21) and OUT_CQ_FLAGS (23), which nothing here reads.
    private static final int OUT_FEATURES = 0;
    private static final int OUT_SETUP_FLAGS = 1;
    private static final int OUT_SQ_ENTRIES = 2;
    private static final int OUT_CQ_ENTRIES = 3;
    private static final int OUT_SQ_RING_ADDR = 4;
    private static final int OUT_SQ_RING_SIZE = 5;
    private static final int OUT_CQ_RING_ADDR = 6;
    private static final int OUT_CQ_RING_SIZE = 7;
    private static final int OUT_SQES_ADDR = 8;
    private static final int OUT_SQES_SIZE = 9;
    private static final int OUT_SQ_HEAD = 10;
    private static final int OUT_SQ_TAIL = 11;
    private static final int OUT_SQ_RING_MASK = 12;
    private static final int OUT_SQ_RING_ENTRIES = 13;
    private static final int OUT_SQ_FLAGS = 14;
    private static final int OUT_SQ_ARRAY = 16;
    private static final int OUT_CQ_HEAD = 17;
    private static final int OUT_CQ_TAIL = 18;
    private static final int OUT_CQ_RING_MASK = 19;
    private static final int OUT_CQ_CQES = 22;
    /** How many values the C side writes; must match {@code Native.IO_URING_SETUP_OUT_LENGTH}. */
    static final int OUT_LENGTH = 24;

    // Entry layouts (struct io_uring_sqe / io_uring_cqe), read from the kernel headers at load time. Only the
    // fields written or read are named: IoUringRing zeroes a whole SQE before it fills one in.
    static final int SQE_SIZE = Native.SIZEOF_IO_URING_SQE;
    static final int SQE_OPCODE = Native.SQE_OFFSET_OPCODE;
    static final int SQE_FD = Native.SQE_OFFSET_FD;
    static final int SQE_ADDR = Native.SQE_OFFSET_ADDR;
    static final int SQE_LEN = Native.SQE_OFFSET_LEN;
    /** {@code poll32_events} (the union with {@code rw_flags}, {@code msg_flags}, ...). */
    static final int SQE_OP_FLAGS = Native.SQE_OFFSET_OP_FLAGS;
    static final int SQE_USER_DATA = Native.SQE_OFFSET_USER_DATA;
    static final int CQE_SIZE = Native.SIZEOF_IO_URING_CQE;
    static final int CQE_USER_DATA = Native.CQE_OFFSET_USER_DATA;
    static final int CQE_RES = Native.CQE_OFFSET_RES;
    static final int CQE_FLAGS = Native.CQE_OFFSET_FLAGS;

    final int features;
    final int setupFlags;
    final int sqEntries;
    final int cqEntries;

    final long sqRingAddress;
    final long sqRingSize;
    final long cqRingAddress;
    final long cqRingSize;
    final long sqesAddress;
    final long sqesSize;

    final int sqHead;
    final int sqTail;
    final int sqRingMask;
    final int sqRingEntries;
    final int sqFlags;
    final int sqArray;

    final int cqHead;
    final int cqTail;
    final int cqRingMask;
    final int cqCqes;

    IoUringRingLayout(long[] out) {
        if (out.length < OUT_LENGTH || Native.IO_URING_SETUP_OUT_LENGTH != OUT_LENGTH) {
            throw new IllegalStateException("io_uring setup result has " + Native.IO_URING_SETUP_OUT_LENGTH
                    + " values, this layout knows " + OUT_LENGTH);
        }
        features = (int) out[OUT_FEATURES];
        setupFlags = (int) out[OUT_SETUP_FLAGS];
        sqEntries = (int) out[OUT_SQ_ENTRIES];
        cqEntries = (int) out[OUT_CQ_ENTRIES];
        sqRingAddress = out[OUT_SQ_RING_ADDR];
        sqRingSize = out[OUT_SQ_RING_SIZE];
        cqRingAddress = out[OUT_CQ_RING_ADDR];
        cqRingSize = out[OUT_CQ_RING_SIZE];
        sqesAddress = out[OUT_SQES_ADDR];
        sqesSize = out[OUT_SQES_SIZE];
        sqHead = (int) out[OUT_SQ_HEAD];
        sqTail = (int) out[OUT_SQ_TAIL];
        sqRingMask = (int) out[OUT_SQ_RING_MASK];
        sqRingEntries = (int) out[OUT_SQ_RING_ENTRIES];
        sqFlags = (int) out[OUT_SQ_FLAGS];
        sqArray = (int) out[OUT_SQ_ARRAY];
        cqHead = (int) out[OUT_CQ_HEAD];
        cqTail = (int) out[OUT_CQ_TAIL];
        cqRingMask = (int) out[OUT_CQ_RING_MASK];
        cqCqes = (int) out[OUT_CQ_CQES];
    }

    /** A fresh array for {@code Native.ioUringSetup} to fill. */
    static long[] newSetupResult() {
        return new long[OUT_LENGTH];
    }

    /** With {@code IORING_FEAT_SINGLE_MMAP} the SQ and CQ rings are one mapping. */
    boolean sharedRingMapping() {
        return sqRingAddress == cqRingAddress;
    }

    boolean hasFeature(int feature) {
        return (features & feature) != 0;
    }

    /** Byte offset of SQE {@code index} (already masked) in the SQE array mapping. */
    static int sqeOffset(int index) {
        return index * SQE_SIZE;
    }

    /**
     * Byte offset of the CQE at free-running {@code head} in the CQ ring mapping; {@code mask} is the
     * value the kernel stored at {@link #cqRingMask} (a field offset, like every ring field here).
     */
    int cqeOffset(int head, int mask) {
        return cqCqes + (head & mask) * CQE_SIZE;
    }

    /** Byte offset of entry {@code index} of the SQ index array in the SQ ring mapping. */
    int sqArrayOffset(int index) {
        return sqArray + index * Integer.BYTES;
    }

    @Override
    public String toString() {
        return "IoUringRingLayout(sqEntries=" + sqEntries + ", cqEntries=" + cqEntries
                + ", setupFlags=0x" + Integer.toHexString(setupFlags)
                + ", features=0x" + Integer.toHexString(features) + ')';
    }
}
