package dev.userpoll.transport;

import io.netty.channel.ChannelOption;
import io.netty.channel.unix.UnixChannelOption;

/**
 * Linux socket options of the userpoll transport's channels, beyond those of {@link ChannelOption}.
 * <p>Each option is a constant of Netty's option pool named after this class
 * ({@code dev.userpoll.transport.UserpollChannelOption#TCP_CORK}), so it never collides with Netty's
 * {@code EpollChannelOption} or {@code IoUringChannelOption} when those are loaded in the same JVM; an option
 * of one transport is simply not known to the other's channels. {@link #TCP_FASTOPEN} and
 * {@link #TCP_FASTOPEN_CONNECT} are Netty's own transport-neutral constants, so code written for Netty's native
 * transports keeps working unchanged. {@link UnixChannelOption#SO_REUSEPORT} is inherited and shared with
 * Netty's native transports.
 * <p>Options that take {@code IPPROTO_*} levels not listed here can be set with
 * {@link io.netty.channel.unix.IntegerUnixChannelOption} or {@link io.netty.channel.unix.RawUnixChannelOption}.
 * See {@code man 7 tcp} and {@code man 7 socket} for what each option does.
 */
public final class UserpollChannelOption<T> extends UnixChannelOption<T> {

    /** {@code TCP_CORK}: hold partial frames until uncorked (stream channels). */
    public static final ChannelOption<Boolean> TCP_CORK = valueOf(UserpollChannelOption.class, "TCP_CORK");
    /** {@code TCP_NOTSENT_LOWAT}: a {@code uint32_t}, in bytes (stream channels). */
    public static final ChannelOption<Long> TCP_NOTSENT_LOWAT =
            valueOf(UserpollChannelOption.class, "TCP_NOTSENT_LOWAT");
    /** {@code TCP_KEEPIDLE}: seconds of idleness before the first keep-alive probe (stream channels). */
    public static final ChannelOption<Integer> TCP_KEEPIDLE = valueOf(UserpollChannelOption.class, "TCP_KEEPIDLE");
    /** {@code TCP_KEEPINTVL}: seconds between keep-alive probes (stream channels). */
    public static final ChannelOption<Integer> TCP_KEEPINTVL =
            valueOf(UserpollChannelOption.class, "TCP_KEEPINTVL");
    /** {@code TCP_KEEPCNT}: unanswered keep-alive probes before the connection is dropped (stream channels). */
    public static final ChannelOption<Integer> TCP_KEEPCNT = valueOf(UserpollChannelOption.class, "TCP_KEEPCNT");
    /** {@code TCP_USER_TIMEOUT}: milliseconds data may stay unacknowledged (stream channels). */
    public static final ChannelOption<Integer> TCP_USER_TIMEOUT =
            valueOf(UserpollChannelOption.class, "TCP_USER_TIMEOUT");
    /** {@code TCP_QUICKACK}: acknowledge at once instead of delaying ACKs (stream channels). */
    public static final ChannelOption<Boolean> TCP_QUICKACK = valueOf(UserpollChannelOption.class, "TCP_QUICKACK");
    /** {@code SO_BUSY_POLL}: microseconds to busy-poll the device queue on a blocking receive (stream channels). */
    public static final ChannelOption<Integer> SO_BUSY_POLL = valueOf(UserpollChannelOption.class, "SO_BUSY_POLL");
    /** {@code TCP_DEFER_ACCEPT}: seconds a listener waits for data before it reports a connection (servers). */
    public static final ChannelOption<Integer> TCP_DEFER_ACCEPT =
            valueOf(UserpollChannelOption.class, "TCP_DEFER_ACCEPT");
    /** {@code TCP_FASTOPEN}: length of a listener's queue of pending fast-open requests (servers). */
    public static final ChannelOption<Integer> TCP_FASTOPEN = ChannelOption.TCP_FASTOPEN;
    /** {@code TCP_FASTOPEN_CONNECT}: send the first write's data in the SYN (clients, Linux 4.11+). */
    public static final ChannelOption<Boolean> TCP_FASTOPEN_CONNECT = ChannelOption.TCP_FASTOPEN_CONNECT;

    /** {@code IP_FREEBIND}: bind to an address not (yet) configured on the host (datagram channels). */
    public static final ChannelOption<Boolean> IP_FREEBIND = valueOf(UserpollChannelOption.class, "IP_FREEBIND");
    /** {@code IP_TRANSPARENT}: bind to and send from foreign addresses, for transparent proxies (datagram channels). */
    public static final ChannelOption<Boolean> IP_TRANSPARENT =
            valueOf(UserpollChannelOption.class, "IP_TRANSPARENT");
    /**
     * {@code IP_RECVORIGDSTADDR}: a received {@code DatagramPacket}'s recipient is the datagram's original
     * destination (IPv4 datagram channels; with {@link #IP_TRANSPARENT}, the address a redirected datagram was for).
     */
    public static final ChannelOption<Boolean> IP_RECVORIGDSTADDR =
            valueOf(UserpollChannelOption.class, "IP_RECVORIGDSTADDR");
    /**
     * The largest datagram expected, in bytes (datagram channels): when positive, one read buffer is split into
     * datagrams of this size and filled by one {@code recvmmsg}; 0 (the default) reads one datagram per buffer.
     */
    public static final ChannelOption<Integer> MAX_DATAGRAM_PAYLOAD_SIZE =
            valueOf(UserpollChannelOption.class, "MAX_DATAGRAM_PAYLOAD_SIZE");
    /**
     * {@code UDP_GRO}: the kernel may coalesce datagrams of one flow into one read, delivered as separate
     * {@code DatagramPacket}s (datagram channels, Linux 5.0+); give the reads room with a larger allocator.
     */
    public static final ChannelOption<Boolean> UDP_GRO = valueOf(UserpollChannelOption.class, "UDP_GRO");

    @SuppressWarnings("unused")
    private UserpollChannelOption() {
    }
}
