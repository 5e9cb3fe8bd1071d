package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link UserpollRing} on a kernel that really carries EPOLL_USERPOLL: the ring source contract, then
 * what only the real kernel can answer (the item table's size and its ENOSPC). On a kernel without
 * the ABI (every mainline kernel) every test is skipped with the detection's cause printed;
 * {@code transport-userpoll-native/kernel/run-qemu.sh} runs it in a guest booted with our patch.
 */
class UserpollRingKernelTest extends AbstractRingSourceTest {

    /** Runs before every test (the contract's set-up calls it): each test is reported skipped, with the cause. */
    @Override
    protected RingSource newSource() throws Exception {
        Throwable cause = RingSourceKind.USERPOLL.unavailabilityCause();
        assumeTrue(cause == null, () -> "userpoll ring source unavailable: " + cause.getMessage());
        return new UserpollRing(ringSize());
    }

    @Test
    void kernelSizesTheItemTableForTheRegistrationsPlusTheTwoInternalFds() throws Exception {
        try (UserpollRing ring = new UserpollRing(62)) {
            assertEquals(RingSources.USERPOLL, ring.name());
            assertEquals(64, ring.maxItems(), "62 + eventfd + timerfd, a power of two already");
            assertFalse(ring.hasReady());
        }
        try (UserpollRing ring = new UserpollRing(63)) {
            assertEquals(128, ring.maxItems(), "65 rounded up to a power of two");
        }
    }

    @Test
    void fullItemTableRefusesRegistrationWithEnospcAndAFreedItemIsReused() throws Exception {
        List<FileDescriptor> fds = new ArrayList<>();
        try (UserpollRing ring = new UserpollRing(2)) { // 2 + 2 internal = 4 items
            int free = ring.maxItems() - 2;
            for (int i = 0; i < free; i++) {
                FileDescriptor[] p = FileDescriptor.pipe();
                fds.add(p[0]);
                fds.add(p[1]);
                ring.register(p[0].intValue(), Native.EPOLLIN, i);
            }
            FileDescriptor[] extra = FileDescriptor.pipe();
            fds.add(extra[0]);
            fds.add(extra[1]);
            IOException e = assertThrows(IOException.class,
                    () -> ring.register(extra[0].intValue(), Native.EPOLLIN, 99));
            assertTrue(e.getMessage().contains("ENOSPC"), e.getMessage());

            ring.deregister(fds.get(0).intValue());
            ring.register(extra[0].intValue(), Native.EPOLLIN, 99);
            RingTestSockets.write(extra[1], 1);
            RingTestRecorder rec = new RingTestRecorder();
            long deadline = System.nanoTime() + EVENT_TIMEOUT_NANOS;
            while (rec.count(99) == 0 && System.nanoTime() < deadline) {
                ring.drain(rec);
                ring.park(PARK_SLICE_NANOS);
            }
            assertEquals(1, rec.count(99), "the fd registered on the freed item: " + rec);
        } finally {
            RingTestSockets.closeAll(fds);
        }
    }
}
