package dev.userpoll.transport;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import dev.userpoll.transport.ring.RingSources;

import java.util.Locale;

/**
 * How the channels of a loop do their socket I/O once the ring said a socket is ready (DESIGN.md 4b).
 * Both follow the same edge-triggered rules; they differ only in how reads and writes reach the kernel.
 */
public enum IoSubmitter {
    /** One recv, send or writev system call per operation, as it happens. */
    DIRECT("direct"),
    /**
     * The recvs and sendmsgs of one loop pass go to the kernel together, with {@code MSG_DONTWAIT}, in
     * one {@code io_uring_enter} that completes them all inline; needs io_uring, works on every ring source.
     */
    BATCHED("batched");

    /** The submitters to try, in order, where none is given: {@code batched}, {@code direct} or both. */
    public static final String PROPERTY = "userpoll.ioSubmitter";

    private final String configName;
    private volatile Throwable cause;
    private volatile boolean probed;

    IoSubmitter(String configName) {
        this.configName = configName;
    }

    /**
     * The submitter loops get when none is named: the first available of {@value #PROPERTY} (a comma
     * list) if set, else {@link #BATCHED} where it works (the README's benchmark), else {@link #DIRECT}.
     */
    public static IoSubmitter preferred() {
        String configured = io.netty.util.internal.SystemPropertyUtil.get(PROPERTY);
        IoSubmitter last = DIRECT;
        if (configured != null && !configured.isBlank()) {
            for (String name : configured.split("[,\\s]+")) {
                if (!name.isEmpty()) {
                    last = fromConfigName(name);
                    if (last.isAvailable()) {
                        return last;
                    }
                }
            }
            return last;
        }
        return BATCHED.isAvailable() ? BATCHED : DIRECT;
    }

    /** {@code direct} or {@code batched}. */
    public String configName() {
        return configName;
    }

    /** Parses a configuration name (case-insensitive). */
    public static IoSubmitter fromConfigName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (IoSubmitter submitter : values()) {
            if (submitter.configName.equals(n)) {
                return submitter;
            }
        }
        throw new IllegalArgumentException("unknown I/O submitter '" + name + "'; valid: direct, batched");
    }

    /** Whether this submitter works here (probed once). */
    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Why this submitter cannot be used here, or {@code null}. */
    public Throwable unavailabilityCause() {
        if (!probed) {
            synchronized (this) {
                if (!probed) {
                    cause = probe();
                    probed = true;
                }
            }
        }
        return cause;
    }

    private Throwable probe() {
        Throwable nativeCause = RingSources.nativeUnavailabilityCause();
        if (nativeCause != null || this == DIRECT) {
            return nativeCause;
        }
        return IoUringSocketBatch.unavailabilityCause();
    }
}
