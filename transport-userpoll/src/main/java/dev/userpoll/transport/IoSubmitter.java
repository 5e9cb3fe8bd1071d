package dev.userpoll.transport;

import dev.userpoll.transport.internal.UserpollProperties;
import dev.userpoll.transport.internal.UserpollProperties.Setting;
import dev.userpoll.transport.ring.IoUringBatchProbe;
import dev.userpoll.transport.ring.RingSources;

import java.util.ArrayList;
import java.util.List;
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
    public static final String PROPERTY = UserpollProperties.IO_SUBMITTER;

    private final String configName;
    private volatile Throwable cause;
    private volatile boolean probed;

    IoSubmitter(String configName) {
        this.configName = configName;
    }

    /**
     * The submitter loops get when none is named: the first available of {@value #PROPERTY} (a comma list; else
     * the {@code USERPOLL_IO_SUBMITTER} environment variable) if set, else {@link #BATCHED} where it works (the
     * README's benchmark), else {@link #DIRECT}.
     */
    public static IoSubmitter preferred() {
        Setting configured = UserpollProperties.system().get(PROPERTY, UserpollProperties.IO_SUBMITTER_ENV);
        if (configured != null) {
            return firstAvailable(parseList(configured));
        }
        return BATCHED.isAvailable() ? BATCHED : DIRECT;
    }

    /** The submitters of a list setting, in order, each once. */
    static List<IoSubmitter> parseList(Setting setting) {
        List<IoSubmitter> list = new ArrayList<>();
        for (String entry : setting.entries()) {
            try {
                IoSubmitter submitter = fromConfigName(entry);
                if (!list.contains(submitter)) {
                    list.add(submitter);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException(setting + ": empty; valid: batched, direct");
        }
        return list;
    }

    /** The first available, else the last (so that building a factory reports why it is unavailable). */
    static IoSubmitter firstAvailable(List<IoSubmitter> submitters) {
        for (IoSubmitter submitter : submitters) {
            if (submitter.isAvailable()) {
                return submitter;
            }
        }
        return submitters.get(submitters.size() - 1);
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
        return IoUringBatchProbe.unavailabilityCause();
    }
}
