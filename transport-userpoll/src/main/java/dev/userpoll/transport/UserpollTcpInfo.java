package dev.userpoll.transport;

/**
 * A snapshot of a TCP connection's {@code TCP_INFO} ({@code man 7 tcp}), as {@link UserpollSocketChannel#tcpInfo()}
 * reads it: the fields of Netty's {@code EpollTcpInfo}, under the same names, so code written for Netty's epoll
 * transport reads it the same way. The kernel's unsigned values are widened without sign. One object can be
 * refilled with {@link UserpollSocketChannel#tcpInfo(UserpollTcpInfo)}, so periodic sampling allocates nothing.
 * Not thread-safe: a holder belongs to the code that fills it.
 */
public final class UserpollTcpInfo {
    /** The fields, in the order the native side writes them. */
    final long[] info = new long[32];

    /** {@code tcpi_state}: the connection's TCP state ({@code TCP_ESTABLISHED} is 1). */
    public int state() {
        return (int) info[0];
    }

    /** {@code tcpi_ca_state}: the congestion-avoidance state. */
    public int caState() {
        return (int) info[1];
    }

    /** {@code tcpi_retransmits}: retransmissions of the segment at the head of the queue. */
    public int retransmits() {
        return (int) info[2];
    }

    /** {@code tcpi_probes}: unanswered zero-window or keep-alive probes. */
    public int probes() {
        return (int) info[3];
    }

    /** {@code tcpi_backoff}: the retransmission timer's exponential backoff. */
    public int backoff() {
        return (int) info[4];
    }

    /** {@code tcpi_options}: {@code TCPI_OPT_*} bits negotiated (timestamps, SACK, window scaling, ECN). */
    public int options() {
        return (int) info[5];
    }

    /** {@code tcpi_snd_wscale}: the peer's window scale. */
    public int sndWscale() {
        return (int) info[6];
    }

    /** {@code tcpi_rcv_wscale}: our window scale. */
    public int rcvWscale() {
        return (int) info[7];
    }

    /** {@code tcpi_rto}: the retransmission timeout, in microseconds. */
    public long rto() {
        return info[8];
    }

    /** {@code tcpi_ato}: the delayed-ACK timeout, in microseconds. */
    public long ato() {
        return info[9];
    }

    /** {@code tcpi_snd_mss}: the sending maximum segment size. */
    public long sndMss() {
        return info[10];
    }

    /** {@code tcpi_rcv_mss}: the receiving maximum segment size (estimated). */
    public long rcvMss() {
        return info[11];
    }

    /** {@code tcpi_unacked}: segments sent and not yet acknowledged. */
    public long unacked() {
        return info[12];
    }

    /** {@code tcpi_sacked}: segments selectively acknowledged. */
    public long sacked() {
        return info[13];
    }

    /** {@code tcpi_lost}: segments considered lost. */
    public long lost() {
        return info[14];
    }

    /** {@code tcpi_retrans}: segments retransmitted and in flight. */
    public long retrans() {
        return info[15];
    }

    /** {@code tcpi_fackets}: forward-acknowledged segments (0 on recent kernels). */
    public long fackets() {
        return info[16];
    }

    /** {@code tcpi_last_data_sent}: milliseconds since data was last sent. */
    public long lastDataSent() {
        return info[17];
    }

    /** {@code tcpi_last_ack_sent}: not maintained by Linux (always 0). */
    public long lastAckSent() {
        return info[18];
    }

    /** {@code tcpi_last_data_recv}: milliseconds since data was last received. */
    public long lastDataRecv() {
        return info[19];
    }

    /** {@code tcpi_last_ack_recv}: milliseconds since an ACK was last received. */
    public long lastAckRecv() {
        return info[20];
    }

    /** {@code tcpi_pmtu}: the path MTU. */
    public long pmtu() {
        return info[21];
    }

    /** {@code tcpi_rcv_ssthresh}: the receive slow-start threshold (the window we announce at most). */
    public long rcvSsthresh() {
        return info[22];
    }

    /** {@code tcpi_rtt}: the smoothed round-trip time, in microseconds. */
    public long rtt() {
        return info[23];
    }

    /** {@code tcpi_rttvar}: the round-trip time's variation, in microseconds. */
    public long rttvar() {
        return info[24];
    }

    /** {@code tcpi_snd_ssthresh}: the send slow-start threshold, in segments. */
    public long sndSsthresh() {
        return info[25];
    }

    /** {@code tcpi_snd_cwnd}: the congestion window, in segments. */
    public long sndCwnd() {
        return info[26];
    }

    /** {@code tcpi_advmss}: the maximum segment size we advertise. */
    public long advmss() {
        return info[27];
    }

    /** {@code tcpi_reordering}: the reordering the kernel tolerates, in segments. */
    public long reordering() {
        return info[28];
    }

    /** {@code tcpi_rcv_rtt}: the receiver's round-trip estimate, in microseconds. */
    public long rcvRtt() {
        return info[29];
    }

    /** {@code tcpi_rcv_space}: the receive-buffer space the kernel tunes towards. */
    public long rcvSpace() {
        return info[30];
    }

    /** {@code tcpi_total_retrans}: segments retransmitted over the connection's life. */
    public long totalRetrans() {
        return info[31];
    }

    @Override
    public String toString() {
        return "UserpollTcpInfo(state=" + state() + ", rtt=" + rtt() + "us, rttvar=" + rttvar() + "us, sndCwnd="
                + sndCwnd() + ", sndMss=" + sndMss() + ", unacked=" + unacked() + ", totalRetrans=" + totalRetrans()
                + ')';
    }
}
