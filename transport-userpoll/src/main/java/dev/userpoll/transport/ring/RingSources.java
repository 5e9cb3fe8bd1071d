package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.internal.NettyVersions;
import io.netty.util.internal.SystemPropertyUtil;

import java.io.IOException;

/**
 * The ring sources by name (the public {@code RingSourceKind} maps onto these): loading of the native library,
 * once, with the reason kept when it cannot be loaded; each source's probe; opening one.
 */
public final class RingSources {
    /** EPOLL_USERPOLL: {@link UserpollRing}. */
    public static final String USERPOLL = "userpoll";
    /** io_uring's CQ ring fed by multishot polls: {@link IoUringPollRing}. */
    public static final String IO_URING = "io_uring";
    /** Plain edge-triggered epoll: {@link EpollRingSource}. */
    public static final String EPOLL = "epoll";

    /** Netty's switch that turns every native transport off. */
    public static final String NO_NATIVE_PROPERTY = "io.netty.transport.noNative";

    private static final Throwable NATIVE_CAUSE;

    static {
        Throwable cause = null;
        if (SystemPropertyUtil.getBoolean(NO_NATIVE_PROPERTY, false)) {
            cause = new UnsupportedOperationException(
                    "native transports were explicitly disabled with -D" + NO_NATIVE_PROPERTY + "=true");
        } else {
            cause = NettyVersions.unsupportedCause();
        }
        if (cause == null) {
            try {
                // Touching a constant runs Native's static initializer: load, register, read constants.
                if (Native.PAGE_SIZE <= 0) {
                    cause = new IllegalStateException("native library reported page size " + Native.PAGE_SIZE);
                }
            } catch (Throwable t) {
                cause = t;
            }
        }
        NATIVE_CAUSE = cause;
    }

    private RingSources() {
    }

    /** Why the native library is not usable, or {@code null} when it is loaded. */
    public static Throwable nativeUnavailabilityCause() {
        return NATIVE_CAUSE;
    }

    /** Why the source named {@code name} cannot run on this machine, or {@code null} (probes it; not cached). */
    public static Throwable probe(String name) {
        if (NATIVE_CAUSE != null) {
            return NATIVE_CAUSE;
        }
        try {
            switch (name) {
                case USERPOLL:
                    return UserpollRing.probe();
                case IO_URING:
                    return IoUringPollRing.probe();
                case EPOLL:
                    return EpollRingSource.probe();
                default:
                    return new IllegalArgumentException("no ring source named " + name);
            }
        } catch (Throwable t) {
            return t;
        }
    }

    /**
     * Opens the source named {@code name}; {@code ringSize} is a hint (entries, items or events per drain).
     * {@code spinning}: the loop watches the ring from user space before it parks, so the source must make
     * readiness visible there without the loop's help (the io_uring source then asks for TASKRUN_FLAG).
     * {@code ioUringSetupFlags} names the io_uring source's setup flags ({@code coop}, {@code taskrun},
     * {@code default}; ignored by the others), {@code null} for the default of a loop that does or does not spin.
     * {@code registerRingFd}: the io_uring source registers its ring fd with the loop thread in
     * {@link RingSource#initialize()}.
     */
    public static RingSource open(String name, int ringSize, boolean spinning, String ioUringSetupFlags,
                                  boolean registerRingFd) throws IOException {
        switch (name) {
            case USERPOLL:
                return new UserpollRing(ringSize, spinning);
            case IO_URING:
                IoUringPollRing ring = new IoUringPollRing(ringSize, spinning, ioUringSetupFlags);
                ring.registerRingFd = registerRingFd;
                return ring;
            case EPOLL:
                return new EpollRingSource(ringSize);
            default:
                throw new IllegalArgumentException("no ring source named " + name);
        }
    }
}
