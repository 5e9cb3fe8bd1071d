package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

/**
 * Whether batched socket I/O ({@link IoUringSocketBatch}) can run on this kernel: what it relies on is that a
 * {@code MSG_DONTWAIT} recv completes inside the call that submits it, with {@code -EAGAIN} on an empty socket,
 * instead of arming a poll. Proven once on a small ring of its own.
 */
public final class IoUringBatchProbe {
    private IoUringBatchProbe() {
    }

    /** Why batched socket I/O cannot run here, or {@code null}. */
    public static Throwable unavailabilityCause() {
        int[] pair = new int[2];
        try (IoUringRing ring = IoUringRing.open("batched socket I/O (io_uring)", 2, 4, 0, new LoopCounters());
             MappedMemory buffer = MappedMemory.allocate(Native.PAGE_SIZE)) {
            if (!ring.layout.hasFeature(Native.IORING_FEAT_EXT_ARG)) {
                return new UnsupportedOperationException("batched socket I/O is unavailable: the kernel lacks"
                        + " IORING_FEAT_EXT_ARG (Linux 5.11 or later)");
            }
            Errno.check("socketpair", Native.socketPair(pair));
            ring.writeSqe(Native.IORING_OP_RECV, pair[0], buffer.address(), 8, Native.MSG_DONTWAIT, 0);
            ring.publish();
            // Bounded, unlike a real batch: on a kernel that arms a poll instead, the recv would never complete.
            ring.enter(1, 1, Native.IORING_ENTER_GETEVENTS, 1_000_000_000L, LoopCounters.SUBMIT);
            if (ring.cqTail() == ring.cqHead()) {
                return new UnsupportedOperationException("batched socket I/O is unavailable: a MSG_DONTWAIT recv on"
                        + " an empty socket did not complete inline (this kernel arms a poll for it)");
            }
            int res = ring.cqeRes(ring.cqHead());
            if (res != -Native.EAGAIN) {
                return new UnsupportedOperationException("batched socket I/O is unavailable: a MSG_DONTWAIT recv"
                        + " on an empty socket completed with " + res + ", expected -EAGAIN");
            }
            return null;
        } catch (Throwable t) {
            return t;
        } finally {
            if (pair[0] > 0) {
                Native.close(pair[0]);
                Native.close(pair[1]);
            }
        }
    }
}
