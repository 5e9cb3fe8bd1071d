package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingSource;
import dev.userpoll.transport.ring.RingSources;

import java.io.IOException;
import java.util.Locale;

/**
 * The three places readiness can come from (DESIGN.md section 2), each with its own availability.
 * Availability is probed once, lazily, per JVM.
 */
public enum RingSourceKind {
    /** EPOLL_USERPOLL: the kernel writes readiness into a ring mmap'd from the epoll fd. */
    USERPOLL("userpoll"),
    /** io_uring's CQ ring, fed by one multishot poll per fd (mainline Linux 5.13+). */
    IO_URING("io_uring"),
    /** A plain edge-triggered epoll set; the fallback and the control arm of every benchmark. */
    EPOLL("epoll");

    /** Ring size used when the caller does not choose one (events per drain for epoll). */
    public static final int DEFAULT_RING_SIZE = 4096;

    private final String configName;
    private volatile Availability availability;

    RingSourceKind(String configName) {
        this.configName = configName;
    }

    /** The name used in configuration: {@code userpoll}, {@code io_uring} or {@code epoll}. */
    public String configName() {
        return configName;
    }

    /** Parses a configuration name (case-insensitive; {@code io-uring} and {@code iouring} accepted). */
    public static RingSourceKind fromConfigName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        if ("iouring".equals(n)) {
            n = "io_uring";
        }
        for (RingSourceKind kind : values()) {
            if (kind.configName.equals(n)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown ring source '" + name + "'; valid: userpoll, io_uring, epoll");
    }

    /** Whether a source of this kind can be opened on this machine (probed once). */
    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Why a source of this kind cannot be opened here, or {@code null} when it can. */
    public Throwable unavailabilityCause() {
        Availability a = availability;
        if (a == null) {
            synchronized (this) {
                a = availability;
                if (a == null) {
                    availability = a = new Availability(probe());
                }
            }
        }
        return a.cause;
    }

    private Throwable probe() {
        return RingSources.probe(configName);
    }

    /** Opens a source of this kind for a loop that parks, with the configured setup flags (tests, benchmarks). */
    RingSource open(int ringSize) throws IOException {
        return open(ringSize, false, null, true);
    }

    /**
     * Opens a new source of this kind; {@code ringSize} is a hint (entries, items or events per drain).
     * {@code spinning}: the loop watches the ring from user space before it parks. {@code ioUringSetupFlags}: the
     * io_uring source's setup flags, {@code null} for the default of a loop that does or does not spin;
     * {@code registerRingFd}: the io_uring source registers its ring fd with the loop thread.
     */
    RingSource open(int ringSize, boolean spinning, String ioUringSetupFlags, boolean registerRingFd)
            throws IOException {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException("ring source " + configName + " is unavailable: " + cause.getMessage(), cause);
        }
        return RingSources.open(configName, ringSize, spinning, ioUringSetupFlags, registerRingFd);
    }

    private static final class Availability {
        final Throwable cause;

        Availability(Throwable cause) {
            this.cause = cause;
        }
    }
}
