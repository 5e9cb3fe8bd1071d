package dev.userpoll.transport;

import dev.userpoll.transport.internal.UserpollProperties;
import dev.userpoll.transport.internal.UserpollProperties.Setting;
import io.netty.util.internal.ObjectUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Everything that shapes one {@link UserpollIoHandler}: where readiness comes from, how large the ring is, what
 * an idle loop does, and how the channels' reads and writes reach the kernel.
 * <pre>{@code
 * UserpollIoHandlerConfig config = new UserpollIoHandlerConfig()
 *         .setRingSource(RingSourceKind.IO_URING)
 *         .setIdlePolicy(IdlePolicy.spinThenPark(Duration.of(50, ChronoUnit.MICROS)));
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(n, UserpollIoHandler.newFactory(config));
 * }</pre>
 * A new config holds the built-in defaults; {@link #fromSystemProperties()} starts from the {@code userpoll.*}
 * system properties (else the {@code USERPOLL_*} environment variables) instead. Setters validate at once and
 * return this config; {@link UserpollIoHandler#newFactory(UserpollIoHandlerConfig)} takes a copy, so changing a
 * config later never changes loops already built from it.
 */
public final class UserpollIoHandlerConfig {
    /** Ring entries per loop when none is chosen. */
    public static final int DEFAULT_RING_SIZE = RingSourceKind.DEFAULT_RING_SIZE;
    /** The largest ring any source accepts (the userpoll item table's limit). */
    public static final int MAX_RING_SIZE = 65_536;
    /** How long a loop parking with queued sends may hold their completions back, when none is chosen (µs). */
    public static final int DEFAULT_BATCH_PARK_WINDOW_MICROS = 50;
    /** The longest park window accepted (µs): longer would delay promises noticeably, for nothing. */
    public static final int MAX_BATCH_PARK_WINDOW_MICROS = 1_000_000;
    /** Operations per batched submit (SQ entries of the batch's io_uring) when none is chosen. */
    public static final int DEFAULT_BATCH_ENTRIES = 256;
    /** io_uring's own limit on SQ entries. */
    public static final int MAX_BATCH_ENTRIES = 32_768;

    private RingSourceKind ringSource;
    private int ringSize = DEFAULT_RING_SIZE;
    private IdlePolicy idlePolicy = IdlePolicy.PARK;
    private IoSubmitter ioSubmitter;
    private int batchParkWindowMicros = DEFAULT_BATCH_PARK_WINDOW_MICROS;
    private int batchEntries = DEFAULT_BATCH_ENTRIES;
    private String ioUringSetupFlags;
    private boolean ioUringRegisterRingFd = true;

    /** The built-in defaults: best available ring source and submitter, 4096 entries, park at once. */
    public UserpollIoHandlerConfig() {
    }

    private UserpollIoHandlerConfig(UserpollIoHandlerConfig other) {
        ringSource = other.ringSource;
        ringSize = other.ringSize;
        idlePolicy = other.idlePolicy;
        ioSubmitter = other.ioSubmitter;
        batchParkWindowMicros = other.batchParkWindowMicros;
        batchEntries = other.batchEntries;
        ioUringSetupFlags = other.ioUringSetupFlags;
        ioUringRegisterRingFd = other.ioUringRegisterRingFd;
    }

    /**
     * The defaults, overridden by whichever of these is set (system property, else environment variable):
     * {@code userpoll.ringSource} (the first available of the list), {@code userpoll.ringSize},
     * {@code userpoll.idleSpin}, {@code userpoll.ioSubmitter} (the first available of the list),
     * {@code userpoll.batch.parkWindowMicros}, {@code userpoll.batch.entries}, {@code userpoll.ioUring.setupFlags},
     * {@code userpoll.ioUring.registerRingFd}.
     *
     * @throws IllegalArgumentException naming the setting, when one has an unknown or malformed value
     */
    public static UserpollIoHandlerConfig fromSystemProperties() {
        return fromProperties(UserpollProperties.system());
    }

    static UserpollIoHandlerConfig fromProperties(UserpollProperties p) {
        UserpollIoHandlerConfig c = tuningFromProperties(p);
        Setting sources = p.get(UserpollProperties.RING_SOURCE, UserpollProperties.RING_SOURCE_ENV);
        if (sources != null) {
            c.setRingSource(firstAvailable(parseRingSources(sources)));
        }
        Setting submitters = p.get(UserpollProperties.IO_SUBMITTER, UserpollProperties.IO_SUBMITTER_ENV);
        if (submitters != null) {
            c.setIoSubmitter(IoSubmitter.firstAvailable(IoSubmitter.parseList(submitters)));
        }
        return c;
    }

    /**
     * What the properties say about a loop apart from its ring source and submitter, which the transport
     * selector chooses itself (from the same settings) for each candidate it tries.
     */
    static UserpollIoHandlerConfig tuningFromProperties(UserpollProperties p) {
        UserpollIoHandlerConfig c = new UserpollIoHandlerConfig();
        Setting s = p.get(UserpollProperties.RING_SIZE, UserpollProperties.RING_SIZE_ENV);
        if (s != null) {
            c.setRingSize(s.intValue(1, MAX_RING_SIZE));
        }
        s = p.get(UserpollProperties.IDLE_SPIN, UserpollProperties.IDLE_SPIN_ENV);
        if (s != null) {
            c.setIdlePolicy(IdlePolicy.parse(s));
        }
        s = p.get(UserpollProperties.BATCH_PARK_WINDOW_MICROS, UserpollProperties.BATCH_PARK_WINDOW_MICROS_ENV);
        if (s != null) {
            c.setBatchParkWindowMicros(s.intValue(0, MAX_BATCH_PARK_WINDOW_MICROS));
        }
        s = p.get(UserpollProperties.BATCH_ENTRIES, UserpollProperties.BATCH_ENTRIES_ENV);
        if (s != null) {
            c.setBatchEntries(s.intValue(1, MAX_BATCH_ENTRIES));
        }
        s = p.get(UserpollProperties.IO_URING_SETUP_FLAGS, UserpollProperties.IO_URING_SETUP_FLAGS_ENV);
        if (s != null) {
            try {
                c.setIoUringSetupFlags(s.value());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(s + ": " + e.getMessage(), e);
            }
        }
        s = p.get(UserpollProperties.IO_URING_REGISTER_RING_FD, UserpollProperties.IO_URING_REGISTER_RING_FD_ENV);
        if (s != null) {
            c.setIoUringRegisterRingFd(s.booleanValue());
        }
        return c;
    }

    /** The ring source, or {@code null} for the best available (userpoll, then io_uring, then epoll). */
    public RingSourceKind getRingSource() {
        return ringSource;
    }

    /** Drains this ring source; {@code null} picks the best available when the factory is made. */
    public UserpollIoHandlerConfig setRingSource(RingSourceKind ringSource) {
        this.ringSource = ringSource;
        return this;
    }

    /** Ring entries per loop. */
    public int getRingSize() {
        return ringSize;
    }

    /** Ring entries per loop (io_uring CQ sizing, userpoll items, epoll events per call): 1 to 65536. */
    public UserpollIoHandlerConfig setRingSize(int ringSize) {
        this.ringSize = ObjectUtil.checkInRange(ringSize, 1, MAX_RING_SIZE, "ringSize");
        return this;
    }

    /** What an idle loop does before it parks. */
    public IdlePolicy getIdlePolicy() {
        return idlePolicy;
    }

    /** How long an idle loop spins on the ring before it parks. */
    public UserpollIoHandlerConfig setIdlePolicy(IdlePolicy idlePolicy) {
        this.idlePolicy = ObjectUtil.checkNotNull(idlePolicy, "idlePolicy");
        return this;
    }

    /** The I/O submitter, or {@code null} for the best available ({@code batched} where io_uring allows it). */
    public IoSubmitter getIoSubmitter() {
        return ioSubmitter;
    }

    /** How the channels' reads and writes reach the kernel; {@code null} picks the best available. */
    public UserpollIoHandlerConfig setIoSubmitter(IoSubmitter ioSubmitter) {
        this.ioSubmitter = ioSubmitter;
        return this;
    }

    /** How long a parked loop may hold back the completions of sends it submitted (µs). */
    public int getBatchParkWindowMicros() {
        return batchParkWindowMicros;
    }

    /**
     * With the batched submitter: how long a loop that parks with queued sends may hold their completions back
     * (µs, 0 to 1,000,000). Their bytes leave at once either way; promises, write listeners and writability wait
     * until the next event or wakeup ends the park, at most this long. 0 submits them in an enter of their own
     * before parking.
     */
    public UserpollIoHandlerConfig setBatchParkWindowMicros(int micros) {
        this.batchParkWindowMicros = ObjectUtil.checkInRange(micros, 0, MAX_BATCH_PARK_WINDOW_MICROS,
                "batchParkWindowMicros");
        return this;
    }

    /** Operations one batched submit carries at most. */
    public int getBatchEntries() {
        return batchEntries;
    }

    /** With the batched submitter: operations per submit, the SQ entries of the batch's io_uring (1 to 32768). */
    public UserpollIoHandlerConfig setBatchEntries(int entries) {
        this.batchEntries = ObjectUtil.checkInRange(entries, 1, MAX_BATCH_ENTRIES, "batchEntries");
        return this;
    }

    /** The io_uring setup flags, or {@code null} for the default that suits the idle policy. */
    public String getIoUringSetupFlags() {
        return ioUringSetupFlags;
    }

    /**
     * On the io_uring ring source: a comma list of {@code coop} (IORING_SETUP_COOP_TASKRUN), {@code taskrun}
     * (IORING_SETUP_TASKRUN_FLAG, implies coop), or {@code default} for neither. {@code null} chooses by the
     * idle policy: {@code coop} for a loop that parks, {@code coop,taskrun} for one that spins (it must see
     * pending task work from user space).
     */
    public UserpollIoHandlerConfig setIoUringSetupFlags(String flags) {
        if (flags != null) {
            for (String part : flags.split(",")) {
                String name = part.trim().toLowerCase(Locale.ROOT);
                // The io_uring source turns these names into flags; only the names are checked here, so a
                // config can be built where the native library does not load.
                if (!name.isEmpty() && !"default".equals(name) && !"none".equals(name)
                        && !"coop".equals(name) && !"taskrun".equals(name)) {
                    throw new IllegalArgumentException("unknown io_uring setup flag '" + part.trim()
                            + "'; valid: default, coop, taskrun");
                }
            }
        }
        this.ioUringSetupFlags = flags;
        return this;
    }

    /** Whether the io_uring ring source registers its ring fd with the loop thread. */
    public boolean isIoUringRegisterRingFd() {
        return ioUringRegisterRingFd;
    }

    /**
     * On the io_uring ring source: register the ring fd with the loop thread ({@code IORING_REGISTER_RING_FDS},
     * Linux 5.18), so each {@code io_uring_enter} skips the fd lookup, as Netty's io_uring transport does. On by
     * default; where the kernel refuses it the loop enters by the fd.
     */
    public UserpollIoHandlerConfig setIoUringRegisterRingFd(boolean register) {
        this.ioUringRegisterRingFd = register;
        return this;
    }

    /** A copy with the "best available" choices made and checked: what a factory keeps. */
    UserpollIoHandlerConfig resolved() {
        UserpollIoHandlerConfig c = new UserpollIoHandlerConfig(this);
        if (c.ringSource == null) {
            c.ringSource = UserpollIoHandler.bestAvailableSource();
        }
        if (c.ioSubmitter == null) {
            c.ioSubmitter = IoSubmitter.BATCHED.isAvailable() ? IoSubmitter.BATCHED : IoSubmitter.DIRECT;
        }
        return c;
    }

    /** A copy for a factory over a ring source the caller opens (tests): only the submitter needs choosing. */
    UserpollIoHandlerConfig copy() {
        return new UserpollIoHandlerConfig(this);
    }

    /** The ring sources of a list setting, in order, each once. */
    static List<RingSourceKind> parseRingSources(Setting setting) {
        List<RingSourceKind> kinds = new ArrayList<>();
        for (String entry : setting.entries()) {
            RingSourceKind kind;
            try {
                kind = RingSourceKind.fromConfigName(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown ring source '" + entry + "' in " + setting
                        + "; valid: userpoll, io_uring, epoll");
            }
            if (!kinds.contains(kind)) {
                kinds.add(kind);
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no ring source named in " + setting + "; valid: userpoll, io_uring, epoll");
        }
        return kinds;
    }

    /** The first available, else the last (so that building a factory reports why it is unavailable). */
    private static RingSourceKind firstAvailable(List<RingSourceKind> kinds) {
        for (RingSourceKind kind : kinds) {
            if (kind.isAvailable()) {
                return kind;
            }
        }
        return kinds.get(kinds.size() - 1);
    }

    @Override
    public String toString() {
        return "UserpollIoHandlerConfig(ring source " + (ringSource == null ? "best available" : ringSource.configName())
                + ", ring size " + ringSize + ", " + idlePolicy + ", I/O "
                + (ioSubmitter == null ? "best available" : ioSubmitter.configName())
                + ", batch park window " + batchParkWindowMicros + " us, batch entries " + batchEntries
                + ", io_uring setup flags " + (ioUringSetupFlags == null ? "by idle policy" : ioUringSetupFlags)
                + (ioUringRegisterRingFd ? ", ring fd registered" : ", ring fd not registered") + ')';
    }
}
