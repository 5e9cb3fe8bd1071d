package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingSources;

/**
 * Whether this transport can run here, in Netty's style ({@code Epoll.isAvailable()} and friends).
 * The transport is available when its native library loaded and at least one ring source opens;
 * which ring sources work is told per {@link RingSourceKind}.
 */
public final class Userpoll {
    private static final Throwable UNAVAILABILITY_CAUSE;

    static {
        Throwable cause = RingSources.nativeUnavailabilityCause();
        if (cause == null) {
            Throwable last = null;
            for (RingSourceKind kind : RingSourceKind.values()) {
                Throwable c = kind.unavailabilityCause();
                if (c == null) {
                    last = null;
                    break;
                }
                last = c;
            }
            cause = last;
        }
        UNAVAILABILITY_CAUSE = cause;
    }

    private Userpoll() {
    }

    /** {@code true} when the transport can be used on this machine. */
    public static boolean isAvailable() {
        return UNAVAILABILITY_CAUSE == null;
    }

    /** Throws an {@link UnsatisfiedLinkError} carrying the cause when the transport is unavailable. */
    public static void ensureAvailability() {
        if (UNAVAILABILITY_CAUSE != null) {
            throw (Error) new UnsatisfiedLinkError("failed to load the userpoll transport's native library")
                    .initCause(UNAVAILABILITY_CAUSE);
        }
    }

    /** Why the transport is unavailable, or {@code null} when it is available. */
    public static Throwable unavailabilityCause() {
        return UNAVAILABILITY_CAUSE;
    }

    /**
     * Whether client-side TCP Fast Open can work here: the transport is available and bit 0 of
     * {@code net.ipv4.tcp_fastopen} is set (read once). Then {@code ChannelOption.TCP_FASTOPEN_CONNECT} on a
     * {@link UserpollSocketChannel} sends the first write's data in the SYN (the peer's cookie permitting).
     */
    public static boolean isTcpFastOpenClientSideAvailable() {
        return isAvailable() && (TcpFastOpenMode.MODE & TcpFastOpenMode.CLIENT) != 0;
    }

    /**
     * Whether server-side TCP Fast Open can work here: the transport is available and bit 1 of
     * {@code net.ipv4.tcp_fastopen} is set (read once). Then {@code ChannelOption.TCP_FASTOPEN} on a
     * {@link UserpollServerSocketChannel} accepts data carried in the SYN.
     */
    public static boolean isTcpFastOpenServerSideAvailable() {
        return isAvailable() && (TcpFastOpenMode.MODE & TcpFastOpenMode.SERVER) != 0;
    }

    /** Whether the given ring source works here. */
    public static boolean isAvailable(RingSourceKind kind) {
        return UNAVAILABILITY_CAUSE == null && kind.isAvailable();
    }

    /** Why the given ring source cannot be used here, or {@code null}. */
    public static Throwable unavailabilityCause(RingSourceKind kind) {
        return UNAVAILABILITY_CAUSE != null ? UNAVAILABILITY_CAUSE : kind.unavailabilityCause();
    }
}
