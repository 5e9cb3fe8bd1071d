package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.internal.UserpollProperties;

import java.util.Locale;

/**
 * How the io_uring ring source's ring is set up: its SQ and CQ sizes from the loop's ring size, and its setup
 * flags. Never {@code DEFER_TASKRUN} (completions would appear only inside {@code io_uring_enter}, the system call
 * the ring exists to avoid) nor {@code SINGLE_ISSUER} (a source may be opened on another thread than the loop's).
 */
final class IoUringSetup {
    /** A comma list of {@code coop}, {@code taskrun} (implies coop) or {@code default} (none). */
    static final String SETUP_FLAGS_PROPERTY = UserpollProperties.IO_URING_SETUP_FLAGS;
    /**
     * COOP_TASKRUN: without it the kernel interrupts the loop with an inter-processor interrupt to post each
     * multishot poll's CQE (the README's setup-flag comparison); with it the task work runs on the way out of the
     * loop's next system call (a send, a submit, or the park, which returns at once when the task work posted
     * something).
     */
    private static final String DEFAULT_SETUP_FLAGS = "coop";
    /**
     * For a loop that spins on the ring: TASKRUN_FLAG also tells it, through the SQ flags, that task work waits
     * and it must enter the kernel to see it (drain and hasReady() watch IORING_SQ_TASKRUN). A parked loop gains
     * nothing from it and pays an enter per pass.
     */
    private static final String SPINNING_SETUP_FLAGS = "coop,taskrun";
    /** The SQ carries the poll arms and, with batched I/O, in half of it the pass's socket operations. */
    private static final int MAX_SQ_ENTRIES = 512;

    private IoUringSetup() {
    }

    /** The setup flags named by {@value #SETUP_FLAGS_PROPERTY}, else the default for a loop that does or does not spin. */
    static int configuredSetupFlags(boolean spinning) {
        UserpollProperties.Setting configured = UserpollProperties.system()
                .get(SETUP_FLAGS_PROPERTY, UserpollProperties.IO_URING_SETUP_FLAGS_ENV);
        return setupFlags(configured == null ? null : configured.value(), spinning);
    }

    /** The setup flags {@code named} (a loop's configuration), or for {@code null} the default by idle policy. */
    static int setupFlags(String named, boolean spinning) {
        return parseSetupFlags(named != null ? named : spinning ? SPINNING_SETUP_FLAGS : DEFAULT_SETUP_FLAGS);
    }

    static int parseSetupFlags(String value) {
        int flags = 0;
        for (String part : value.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            switch (name) {
                case "default":
                case "none":
                case "":
                    break;
                case "coop":
                    flags |= Native.IORING_SETUP_COOP_TASKRUN;
                    break;
                case "taskrun":
                    // TASKRUN_FLAG is only accepted together with COOP_TASKRUN (or DEFER_TASKRUN, never used).
                    flags |= Native.IORING_SETUP_COOP_TASKRUN | Native.IORING_SETUP_TASKRUN_FLAG;
                    break;
                default:
                    throw new IllegalArgumentException("-D" + SETUP_FLAGS_PROPERTY + "=" + value
                            + ": unknown flag '" + name + "'; valid: default, coop, taskrun");
            }
        }
        return flags;
    }

    /** SQ entries for a loop of {@code ringSize}: a quarter of it, within [8, 512]. */
    static int sqEntriesFor(int ringSize) {
        return Math.max(8, Math.min(MAX_SQ_ENTRIES, ringSize / 4));
    }

    /** CQ entries: room for twice the ring size of readiness and the batch's completions beside it. */
    static int cqEntriesFor(int ringSize) {
        return Math.max(2 * sqEntriesFor(ringSize), 2 * ringSize);
    }
}
