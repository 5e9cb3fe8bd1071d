package dev.userpoll.transport;

import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A loop's answer to passes that fail in its ring source (a corrupt ring, a refused system call): back off as
 * Netty's loops do after an exception, so a source that keeps failing neither spins the loop nor floods the log,
 * and say when to give it up. Loop thread only.
 */
final class SourceFailures {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(UserpollIoHandler.class);

    /** Consecutive failed passes after which the ring source is given up (closed, its channels failed). */
    static final int MAX_CONSECUTIVE = 3;
    /** The first back-off after a failed pass; each further one doubles, up to {@link #MAX_BACKOFF_NANOS}. */
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Passes in a row that failed; 0 after a good pass. */
    private int consecutive;

    /** A pass went through. */
    void passSucceeded() {
        consecutive = 0;
    }

    /** A pass failed with {@code cause}: backs off and returns false, or returns true when the source must go. */
    boolean passFailed(String sourceName, Throwable cause) {
        consecutive++;
        if (consecutive >= MAX_CONSECUTIVE) {
            logger.error("The {} ring source failed {} passes in a row; closing it and every channel of this loop.",
                    sourceName, consecutive, cause);
            return true;
        }
        long backoff = Math.min(MAX_BACKOFF_NANOS, MIN_BACKOFF_NANOS << (consecutive - 1));
        logger.warn("Unexpected exception in the userpoll event loop; backing off {} ms.",
                TimeUnit.NANOSECONDS.toMillis(backoff), cause);
        LockSupport.parkNanos(backoff); // a wakeup cannot end it: the point is not to come straight back
        return false;
    }
}
