package dev.userpoll.transport;

import dev.userpoll.transport.internal.DatagramConstants;
import dev.userpoll.transport.internal.Native;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannelConfig;
import io.netty.channel.unix.UnixChannelOption;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Map;

import static io.netty.channel.ChannelOption.IP_MULTICAST_ADDR;
import static io.netty.channel.ChannelOption.IP_MULTICAST_IF;
import static io.netty.channel.ChannelOption.IP_MULTICAST_LOOP_DISABLED;
import static io.netty.channel.ChannelOption.IP_MULTICAST_TTL;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_BROADCAST;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;

/**
 * Configuration of a {@link UserpollDatagramChannel}: every {@link DatagramChannelConfig} option, plus
 * {@link UnixChannelOption#SO_REUSEPORT} and the datagram options of {@link UserpollChannelOption}
 * ({@code IP_FREEBIND}, {@code IP_TRANSPARENT}, {@code IP_RECVORIGDSTADDR}, {@code MAX_DATAGRAM_PAYLOAD_SIZE},
 * {@code UDP_GRO}), as Netty's {@code EpollDatagramChannelConfig} has them. Reads use a
 * {@link io.netty.channel.FixedRecvByteBufAllocator} of 2048 bytes by default, as Netty's datagram channels do.
 * The multicast options act on the socket's own family: {@code IP_MULTICAST_*} on IPv4, {@code IPV6_MULTICAST_*}
 * on IPv6.
 */
public final class UserpollDatagramChannelConfig extends AbstractUserpollDatagramChannelConfig
        implements DatagramChannelConfig {
    private final UserpollSocket socket;
    private final DatagramMulticastOptions multicast;
    private volatile int maxDatagramPayloadSize;
    private volatile boolean udpGro;
    private volatile boolean recvOrigDestAddr;

    UserpollDatagramChannelConfig(UserpollDatagramChannel channel, UserpollSocket socket) {
        super(channel, socket);
        this.socket = socket;
        this.multicast = new DatagramMulticastOptions(this, socket);
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_BROADCAST, SO_REUSEADDR,
                IP_MULTICAST_LOOP_DISABLED, IP_MULTICAST_ADDR, IP_MULTICAST_IF, IP_MULTICAST_TTL, IP_TOS,
                UnixChannelOption.SO_REUSEPORT, UserpollChannelOption.IP_FREEBIND,
                UserpollChannelOption.IP_TRANSPARENT, UserpollChannelOption.IP_RECVORIGDSTADDR,
                UserpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, UserpollChannelOption.UDP_GRO);
    }

    @SuppressWarnings({"unchecked", "deprecation"})
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        Object value;
        if (option == SO_BROADCAST) {
            value = isBroadcast();
        } else if (option == SO_REUSEADDR) {
            value = isReuseAddress();
        } else if (option == IP_MULTICAST_LOOP_DISABLED) {
            value = isLoopbackModeDisabled();
        } else if (option == IP_MULTICAST_ADDR) {
            value = getInterface();
        } else if (option == IP_MULTICAST_IF) {
            value = getNetworkInterface();
        } else if (option == IP_MULTICAST_TTL) {
            value = getTimeToLive();
        } else if (option == IP_TOS) {
            value = getTrafficClass();
        } else if (option == UnixChannelOption.SO_REUSEPORT) {
            value = isReusePort();
        } else if (option == UserpollChannelOption.IP_FREEBIND) {
            value = isIpFreeBind();
        } else if (option == UserpollChannelOption.IP_TRANSPARENT) {
            value = isIpTransparent();
        } else if (option == UserpollChannelOption.IP_RECVORIGDSTADDR) {
            value = isIpRecvOrigDestAddr();
        } else if (option == UserpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE) {
            value = getMaxDatagramPayloadSize();
        } else if (option == UserpollChannelOption.UDP_GRO) {
            value = isUdpGro();
        } else {
            return super.getOption(option);
        }
        return (T) value;
    }

    @SuppressWarnings("deprecation")
    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        if (option == SO_BROADCAST) {
            setBroadcast((Boolean) value);
        } else if (option == SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (option == IP_MULTICAST_LOOP_DISABLED) {
            setLoopbackModeDisabled((Boolean) value);
        } else if (option == IP_MULTICAST_ADDR) {
            setInterface((InetAddress) value);
        } else if (option == IP_MULTICAST_IF) {
            setNetworkInterface((NetworkInterface) value);
        } else if (option == IP_MULTICAST_TTL) {
            setTimeToLive((Integer) value);
        } else if (option == IP_TOS) {
            setTrafficClass((Integer) value);
        } else if (option == UnixChannelOption.SO_REUSEPORT) {
            setReusePort((Boolean) value);
        } else if (option == UserpollChannelOption.IP_FREEBIND) {
            setIpFreeBind((Boolean) value);
        } else if (option == UserpollChannelOption.IP_TRANSPARENT) {
            setIpTransparent((Boolean) value);
        } else if (option == UserpollChannelOption.IP_RECVORIGDSTADDR) {
            setIpRecvOrigDestAddr((Boolean) value);
        } else if (option == UserpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE) {
            setMaxDatagramPayloadSize((Integer) value);
        } else if (option == UserpollChannelOption.UDP_GRO) {
            setUdpGro((Boolean) value);
        } else {
            return super.setOption(option, value);
        }
        return true;
    }

    // ---- socket options

    @Override
    public UserpollDatagramChannelConfig setSendBufferSize(int sendBufferSize) {
        super.setSendBufferSize(sendBufferSize);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        super.setReceiveBufferSize(receiveBufferSize);
        return this;
    }

    @Override
    public int getTrafficClass() {
        try {
            return socket.getTrafficClass();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollDatagramChannelConfig setTrafficClass(int trafficClass) {
        try {
            socket.setTrafficClass(trafficClass);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public boolean isReuseAddress() {
        try {
            return socket.isReuseAddress();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollDatagramChannelConfig setReuseAddress(boolean reuseAddress) {
        try {
            socket.setReuseAddress(reuseAddress);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    /** {@code SO_REUSEPORT}: several sockets may bind the same address and port; the kernel spreads datagrams. */
    public boolean isReusePort() {
        try {
            return socket.isReusePort();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** See {@link #isReusePort()}; set before bind. */
    public UserpollDatagramChannelConfig setReusePort(boolean reusePort) {
        try {
            socket.setReusePort(reusePort);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public boolean isBroadcast() {
        try {
            return socket.isBroadcast();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollDatagramChannelConfig setBroadcast(boolean broadcast) {
        try {
            socket.setBroadcast(broadcast);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    // ---- multicast, in their own piece

    @Override
    public boolean isLoopbackModeDisabled() {
        return multicast.isLoopbackModeDisabled();
    }

    @Override
    public UserpollDatagramChannelConfig setLoopbackModeDisabled(boolean loopbackModeDisabled) {
        multicast.setLoopbackModeDisabled(loopbackModeDisabled);
        return this;
    }

    @Override
    public int getTimeToLive() {
        return multicast.getTimeToLive();
    }

    @Override
    public UserpollDatagramChannelConfig setTimeToLive(int ttl) {
        multicast.setTimeToLive(ttl);
        return this;
    }

    @Override
    public InetAddress getInterface() {
        return multicast.getInterface();
    }

    @Override
    public UserpollDatagramChannelConfig setInterface(InetAddress interfaceAddress) {
        multicast.setInterface(interfaceAddress);
        return this;
    }

    @Override
    public NetworkInterface getNetworkInterface() {
        return multicast.getNetworkInterface();
    }

    @Override
    public UserpollDatagramChannelConfig setNetworkInterface(NetworkInterface networkInterface) {
        multicast.setNetworkInterface(networkInterface);
        return this;
    }

    /** {@code IP_FREEBIND}: bind to addresses the host does not have (yet). */
    public boolean isIpFreeBind() {
        return getIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_FREEBIND) != 0;
    }

    /** See {@link #isIpFreeBind()}. */
    public UserpollDatagramChannelConfig setIpFreeBind(boolean freeBind) {
        setIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_FREEBIND, freeBind ? 1 : 0);
        return this;
    }

    /** {@code IP_TRANSPARENT}: bind to and send from foreign addresses (needs {@code CAP_NET_ADMIN}). */
    public boolean isIpTransparent() {
        return getIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_TRANSPARENT) != 0;
    }

    /** See {@link #isIpTransparent()}. */
    public UserpollDatagramChannelConfig setIpTransparent(boolean transparent) {
        setIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_TRANSPARENT, transparent ? 1 : 0);
        return this;
    }

    /** {@code IP_RECVORIGDSTADDR}: received packets name the datagram's original destination as recipient. */
    public boolean isIpRecvOrigDestAddr() {
        return recvOrigDestAddr;
    }

    /** See {@link #isIpRecvOrigDestAddr()}. */
    public UserpollDatagramChannelConfig setIpRecvOrigDestAddr(boolean recvOrigDestAddr) {
        setIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_RECV_ORIG_DST_ADDR, recvOrigDestAddr ? 1 : 0);
        this.recvOrigDestAddr = recvOrigDestAddr;
        return this;
    }

    /** See {@link UserpollChannelOption#MAX_DATAGRAM_PAYLOAD_SIZE}. */
    public int getMaxDatagramPayloadSize() {
        return maxDatagramPayloadSize;
    }

    /** See {@link UserpollChannelOption#MAX_DATAGRAM_PAYLOAD_SIZE}; 0 reads one datagram per buffer. */
    public UserpollDatagramChannelConfig setMaxDatagramPayloadSize(int maxDatagramSize) {
        if (maxDatagramSize < 0) {
            throw new IllegalArgumentException("maxDatagramSize: " + maxDatagramSize + " (expected: >= 0)");
        }
        this.maxDatagramPayloadSize = maxDatagramSize;
        return this;
    }

    /** {@code UDP_GRO}: see {@link UserpollChannelOption#UDP_GRO}. */
    public boolean isUdpGro() {
        return udpGro;
    }

    /** See {@link #isUdpGro()}; a kernel without {@code UDP_GRO} (before 5.0) refuses it. */
    public UserpollDatagramChannelConfig setUdpGro(boolean gro) {
        setIntOpt(DatagramConstants.SOL_UDP, DatagramConstants.UDP_GRO, gro ? 1 : 0);
        this.udpGro = gro;
        return this;
    }

    // ---- covariant returns

    @Override
    public UserpollDatagramChannelConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public UserpollDatagramChannelConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setMaxMessagesPerWrite(int maxMessagesPerWrite) {
        super.setMaxMessagesPerWrite(maxMessagesPerWrite);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public UserpollDatagramChannelConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public UserpollDatagramChannelConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public UserpollDatagramChannelConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
