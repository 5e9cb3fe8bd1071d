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

    @SuppressWarnings("unused")
    private UserpollChannelOption() {
    }
}
