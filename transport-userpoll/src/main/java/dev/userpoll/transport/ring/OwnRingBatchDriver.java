package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;

/**
 * Submits, parks on and reaps the ring of a batch that has a ring of its own ({@link IoUringSocketBatch#open}: the
 * epoll and userpoll sources; DESIGN.md 4b). The batch keeps the operation table; this class owns the
 * {@code io_uring_enter} calls on the ring and the doorbell's one-shot poll. A batch that shares the io_uring
 * source's ring has none: the source submits and drains that ring, through a {@link SharedRingBatchDriver}.
 * Loop thread only.
 */
final class OwnRingBatchDriver {
    private static final int MAX_ENTER_RETRIES = 100;

    private final IoUringRing ring;
    private final IoUringSocketBatch batch;
    /** The doorbell's one-shot poll ({@link #submitAndPark}) is in the kernel, or written and about to be. */
    private boolean doorbellArmed;

    OwnRingBatchDriver(IoUringRing ring, IoUringSocketBatch batch) {
        this.ring = ring;
        this.batch = batch;
    }

    /**
     * Submits every queued operation in one {@code io_uring_enter} that waits for all of their completions, then
     * delivers them in order (a handler may queue operations for the next submit). Returns how many were delivered.
     */
    int submitAndComplete() {
        int queued = batch.queued();
        if ((queued == 0 && batch.inFlight() == 0) || batch.isClosed()) {
            return 0;
        }
        int attempts = 0;
        int res;
        if (queued != 0) {
            ring.publish();
            do {
                res = ring.enter(ring.sqPending(), queued, Native.IORING_ENTER_GETEVENTS, -1, LoopCounters.SUBMIT);
            } while (res < 0 && (res == -Native.EINTR || res == -Native.EAGAIN || res == -Native.EBUSY)
                    && ++attempts <= MAX_ENTER_RETRIES);
            if (res < 0 && ring.sqPending() != 0) {
                batch.failQueued(res);
                return queued;
            }
            batch.onSubmitted();
        } // else only the operations a parking submit took are out (submitAndPark): their completions are here
        return reap();
    }

    /**
     * Delivers the completions of the operations the last {@link #submitAndPark} took, before anything else the
     * loop learned while it was parked: the order the io_uring source's drain has too, where they precede any later
     * readiness in its CQ. A channel must hear how much of its send went out before an {@code EPOLLOUT} edge that
     * came after it, or it would wait for an edge it already had. Returns how many were delivered.
     */
    int completeParked() {
        if (batch.inFlight() == 0 || batch.isClosed()) {
            return 0;
        }
        return reap();
    }

    /** Delivers, in CQ order, the completions of every operation in flight; they completed inside their submit. */
    private int reap() {
        int res;
        int delivered = 0;
        int attempts = 0;
        // Each operation completed inside the call; a signal may have ended the wait before they were all posted.
        while (batch.inFlight() != 0) {
            int tail = ring.cqTail();
            if (ring.cqHead() == tail) {
                res = ring.enter(0, 1, Native.IORING_ENTER_GETEVENTS, -1, LoopCounters.SUBMIT);
                if (res < 0 && res != -Native.EINTR && ++attempts > MAX_ENTER_RETRIES) {
                    batch.failSubmitted(res);
                    break;
                }
                continue;
            }
            long data = ring.cqeUserData(ring.cqHead());
            int cqeRes = ring.cqeRes(ring.cqHead());
            ring.advanceCq();
            if (UserData.isOperation(data)) {
                if (batch.complete(data, cqeRes)) {
                    delivered++;
                }
            } else if (data == UserData.DOORBELL) {
                doorbellArmed = false;
            }
        }
        return delivered;
    }

    /**
     * Parks the loop in the call that submits the queued operations, as the io_uring source parks in the call that
     * submits a shared batch (DESIGN.md 4b). Beside them it arms a one-shot poll of {@code doorbellFd} for POLLIN
     * (once: an arm that did not fire stays in the kernel for the next park) and waits for one completion more than
     * the operations, which complete inline: the doorbell's, or {@code timeoutNanos}. The caller's source makes the
     * doorbell readable when it has events (a userpoll epoll fd polls readable while its ring holds entries). The
     * operations' completions are delivered by the next {@link #completeParked()} or {@link #submitAndComplete()}.
     * Returns false, without entering the kernel, when it cannot park this way now (nothing queued, a completion
     * not delivered yet, no room for the doorbell's SQE); the caller then does not sleep.
     */
    boolean submitAndPark(int doorbellFd, long timeoutNanos) throws IOException {
        int queued = batch.queued();
        if (batch.isClosed() || queued == 0 || batch.inFlight() != 0) {
            return false;
        }
        // Take what a doorbell that rang after the last park left in the CQ: it would end this wait at once.
        while (ring.cqHead() != ring.cqTail()) {
            if (ring.cqeUserData(ring.cqHead()) != UserData.DOORBELL) {
                return false;
            }
            ring.advanceCq();
            doorbellArmed = false;
        }
        if (!doorbellArmed) {
            if (ring.writeSqe(Native.IORING_OP_POLL_ADD, doorbellFd, 0, 0, Native.EPOLLIN, UserData.DOORBELL) < 0) {
                return false;
            }
            doorbellArmed = true;
        }
        ring.publish();
        int res = ring.enter(ring.sqPending(), queued + 1, Native.IORING_ENTER_GETEVENTS, timeoutNanos,
                LoopCounters.PARK);
        batch.onSubmitted(true);
        if (res < 0 && res != -Native.ETIME && res != -Native.EINTR) {
            // What the kernel did not take (the doorbell's SQE too) stays in the SQ and goes with the next submit.
            throw Errno.ioException("io_uring_enter (parking submit)", res);
        }
        return true;
    }
}
