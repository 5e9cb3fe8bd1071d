package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An accept storm's worth of readiness at once (issue: completion-queue overflow under accept storms): 20,000
 * readiness events (10,000 eventfds, each woken twice) posted before the loop drains, into an io_uring source whose
 * CQ holds 4. The kernel keeps the surplus on its overflow list and ends the multishot arms it could not post to;
 * the loop's passes deliver every fd, each pass making progress, the ended arms are re-armed, and once everything
 * is read the source is quiet: no event, no early return from a park (no busy loop), and every fd still reports new
 * readiness.
 */
class IoUringCqOverflowStormTest {
    private static final int FDS = 10_000;

    @BeforeAll
    static void requireIoUring() {
        IoUringTestSupport.assumeIoUring();
    }

    @Test
    void twentyThousandEventsIntoAFourEntryCqLoseNothingAndLeaveNoBusyLoop() throws Exception {
        long limit = RingTestSockets.openFdLimit();
        Assumptions.assumeTrue(limit >= FDS + 1_000, () -> "RLIMIT_NOFILE is " + limit + ": too low for " + FDS);
        int[] fds = new int[FDS];
        try (IoUringPollRing ring = new IoUringPollRing(4, 4, IoUringSetup.parseSetupFlags("coop"))) {
            assertEquals(4, ring.layout().cqEntries);
            for (int i = 0; i < FDS; i++) {
                fds[i] = Native.eventFd();
                assertTrue(fds[i] >= 0, "eventfd: " + fds[i]);
                ring.register(fds[i], Native.EPOLLIN, i);
            }
            for (int round = 0; round < 2; round++) {
                for (int fd : fds) {
                    Native.eventFdWrite(fd, 1); // 2 x 10,000 wakeups, each a readiness event for a multishot arm
                }
            }
            assertTrue(ring.hasReady());

            // The loop's passes, as UserpollIoHandler runs them: drain while the source has something ready. A pass
            // flushes the kernel's overflow list a bounded number of times (fairness to the rest of the pass), so a
            // 4-entry CQ takes many passes; each must deliver something, and none may find nothing while the
            // source still says it is ready (that would be the busy loop).
            BitSet seen = new BitSet(FDS);
            int[] delivered = {0};
            int passes = 0;
            long start = System.nanoTime();
            while (ring.hasReady()) {
                int n = ring.drain((token, events) -> { // the handler reads like a channel, to EAGAIN
                    seen.set((int) token);
                    delivered[0]++;
                    Native.eventFdRead(fds[(int) token]);
                });
                passes++;
                assertTrue(n > 0 || seen.cardinality() == FDS,
                        "pass " + passes + " delivered nothing while the source said it was ready: a busy loop");
                assertTrue(passes <= 2 * FDS, "passes: " + passes);
            }
            long passMicros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start);
            assertEquals(FDS, seen.cardinality(), "fds delivered");
            long reArms = ring.armCount() - FDS;
            assertTrue(reArms >= 0, "arm count");

            // Everything read: nothing more to deliver, and a park sleeps its whole timeout.
            List<Long> stray = new ArrayList<>();
            ring.drain((token, events) -> stray.add(token));
            assertFalse(ring.hasReady(), "ready after everything was read; stray events " + stray);
            long parkStart = System.nanoTime();
            ring.park(TimeUnit.MILLISECONDS.toNanos(200));
            long parkedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - parkStart);
            ring.drain((token, events) -> stray.add(token));
            assertTrue(parkedMillis >= 150, "the park returned after " + parkedMillis + " ms: a busy loop");
            assertTrue(stray.size() <= FDS / 100, "events after everything was read: " + stray.size());

            // Every arm, including those the overflow ended, still reports new readiness.
            for (int fd : fds) {
                Native.eventFdWrite(fd, 1);
            }
            BitSet again = new BitSet(FDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (again.cardinality() < FDS && System.nanoTime() < deadline) {
                ring.drain((token, events) -> {
                    again.set((int) token);
                    Native.eventFdRead(fds[(int) token]);
                });
                if (again.cardinality() < FDS) {
                    ring.park(TimeUnit.MILLISECONDS.toNanos(10));
                }
            }
            assertEquals(FDS, again.cardinality(), "fds reporting readiness after the storm");
            System.out.println("[cq overflow] 20,000 readiness events for " + FDS + " fds into a 4-entry CQ: "
                    + delivered[0] + " delivered in " + passes + " passes, " + passMicros + " us, " + reArms
                    + " arms re-armed, " + stray.size() + " stray events after, park slept " + parkedMillis + " ms");
        } finally {
            for (int fd : fds) {
                if (fd > 0) {
                    Native.close(fd);
                }
            }
        }
    }
}
