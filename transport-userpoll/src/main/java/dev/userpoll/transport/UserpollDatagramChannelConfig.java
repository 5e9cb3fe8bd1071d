package dev.userpoll.transport;

import dev.userpoll.transport.internal.DatagramConstants;
import dev.userpoll.transport.internal.Native;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannelConfig;
import io.netty.channel.unix.UnixChannelOption;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Enumeration;
import java.util.Map;

import static io.netty.channel.ChannelOption.DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION;
import static io.netty.channel.ChannelOption.IP_MULTICAST_ADDR;
import static io.netty.channel.ChannelOption.IP_MULTICAST_IF;
import static io.netty.channel.ChannelOption.IP_MULTICAST_LOOP_DISABLED;
import static io.netty.channel.ChannelOption.IP_MULTICAST_TTL;
import static io.netty.channel.ChannelOption.IP_TOS;
import static io.netty.channel.ChannelOption.SO_BROADCAST;
import static io.netty.channel.ChannelOption.SO_RCVBUF;
import static io.netty.channel.ChannelOption.SO_REUSEADDR;
import static io.netty.channel.ChannelOption.SO_SNDBUF;

/**
 * Configuration of a {@link UserpollDatagramChannel}: every {@link DatagramChannelConfig} option, plus
 * {@link UnixChannelOption#SO_REUSEPORT} and the datagram options of {@link UserpollChannelOption}
 * ({@code IP_FREEBIND}, {@code IP_TRANSPARENT}, {@code IP_RECVORIGDSTADDR}, {@code MAX_DATAGRAM_PAYLOAD_SIZE},
 * {@code UDP_GRO}), as Netty's {@code EpollDatagramChannelConfig} has them. Reads use a
 * {@link FixedRecvByteBufAllocator} of 2048 bytes by default, as Netty's datagram channels do. The multicast
 * options act on the socket's own family: {@code IP_MULTICAST_*} on IPv4, {@code IPV6_MULTICAST_*} on IPv6.
 */
public final class UserpollDatagramChannelConfig extends UserpollChannelConfig implements DatagramChannelConfig {
    private final UserpollDatagramChannel channel;
    private final UserpollSocket socket;
    private volatile boolean activeOnOpen;
    private volatile int maxDatagramPayloadSize;
    private volatile boolean udpGro;
    private volatile boolean recvOrigDestAddr;
    /** What IP_MULTICAST_IF was last set to, as given (the kernel keeps an index, or an address, not both). */
    private volatile NetworkInterface networkInterface;
    private volatile InetAddress multicastInterface;

    UserpollDatagramChannelConfig(UserpollDatagramChannel channel, UserpollSocket socket) {
        super(channel, socket, channel::clearReadPending, new FixedRecvByteBufAllocator(2048));
        this.channel = channel;
        this.socket = socket;
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SO_BROADCAST, SO_RCVBUF, SO_SNDBUF, SO_REUSEADDR,
                IP_MULTICAST_LOOP_DISABLED, IP_MULTICAST_ADDR, IP_MULTICAST_IF, IP_MULTICAST_TTL, IP_TOS,
                DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION, UnixChannelOption.SO_REUSEPORT, UserpollChannelOption.IP_FREEBIND,
                UserpollChannelOption.IP_TRANSPARENT, UserpollChannelOption.IP_RECVORIGDSTADDR,
                UserpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, UserpollChannelOption.UDP_GRO);
    }

    @SuppressWarnings({"unchecked", "deprecation"})
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        Object value;
        if (option == SO_BROADCAST) {
            value = isBroadcast();
        } else if (option == SO_RCVBUF) {
            value = getReceiveBufferSize();
        } else if (option == SO_SNDBUF) {
            value = getSendBufferSize();
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
        } else if (option == DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION) {
            value = activeOnOpen;
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
        } else if (option == SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else if (option == SO_SNDBUF) {
            setSendBufferSize((Integer) value);
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
        } else if (option == DATAGRAM_CHANNEL_ACTIVE_ON_REGISTRATION) {
            setActiveOnOpen((Boolean) value);
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

    /** Whether the channel is active once registered, before any bind or connect. */
    boolean getActiveOnOpen() {
        return activeOnOpen;
    }

    private void setActiveOnOpen(boolean activeOnOpen) {
        if (channel.isRegistered()) {
            throw new IllegalStateException("can only be changed before the channel is registered");
        }
        this.activeOnOpen = activeOnOpen;
    }

    // ---- socket options

    @Override
    public int getSendBufferSize() {
        try {
            return socket.getSendBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollDatagramChannelConfig setSendBufferSize(int sendBufferSize) {
        try {
            socket.setSendBufferSize(sendBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        try {
            return socket.getReceiveBufferSize();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    @Override
    public UserpollDatagramChannelConfig setReceiveBufferSize(int receiveBufferSize) {
        try {
            socket.setReceiveBufferSize(receiveBufferSize);
        } catch (IOException e) {
            throw new ChannelException(e);
        }
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

    @Override
    public boolean isLoopbackModeDisabled() {
        return getIntOpt(ipLevel(), socket.isIpv6() ? DatagramConstants.IPV6_MULTICAST_LOOP
                : DatagramConstants.IP_MULTICAST_LOOP) == 0;
    }

    @Override
    public UserpollDatagramChannelConfig setLoopbackModeDisabled(boolean loopbackModeDisabled) {
        int loop = loopbackModeDisabled ? 0 : 1;
        if (socket.isIpv6()) {
            setIntOpt(DatagramConstants.IPPROTO_IPV6, DatagramConstants.IPV6_MULTICAST_LOOP, loop);
            // An IPv6 socket also sends to IPv4 groups (v4-mapped): those follow the IPv4 option.
            trySetIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_MULTICAST_LOOP, loop);
        } else {
            setIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_MULTICAST_LOOP, loop);
        }
        return this;
    }

    @Override
    public int getTimeToLive() {
        return getIntOpt(ipLevel(), socket.isIpv6() ? DatagramConstants.IPV6_MULTICAST_HOPS
                : DatagramConstants.IP_MULTICAST_TTL);
    }

    @Override
    public UserpollDatagramChannelConfig setTimeToLive(int ttl) {
        if (socket.isIpv6()) {
            setIntOpt(DatagramConstants.IPPROTO_IPV6, DatagramConstants.IPV6_MULTICAST_HOPS, ttl);
            trySetIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_MULTICAST_TTL, ttl);
        } else {
            setIntOpt(Native.IPPROTO_IP, DatagramConstants.IP_MULTICAST_TTL, ttl);
        }
        return this;
    }

    @Override
    public InetAddress getInterface() {
        InetAddress address = multicastInterface;
        if (address != null) {
            return address;
        }
        NetworkInterface iface = networkInterface;
        if (iface != null) {
            Enumeration<InetAddress> addresses = iface.getInetAddresses();
            if (addresses.hasMoreElements()) {
                return addresses.nextElement();
            }
        }
        return null;
    }

    @Override
    public UserpollDatagramChannelConfig setInterface(InetAddress interfaceAddress) {
        try {
            NetworkInterface iface = NetworkInterface.getByInetAddress(interfaceAddress);
            if (iface == null) {
                throw new ChannelException("no interface has the address " + interfaceAddress);
            }
            setMulticastInterface(iface);
            multicastInterface = interfaceAddress;
            networkInterface = iface;
        } catch (SocketException e) {
            throw new ChannelException(e);
        }
        return this;
    }

    @Override
    public NetworkInterface getNetworkInterface() {
        return networkInterface;
    }

    @Override
    public UserpollDatagramChannelConfig setNetworkInterface(NetworkInterface networkInterface) {
        setMulticastInterface(networkInterface);
        this.networkInterface = networkInterface;
        this.multicastInterface = null;
        return this;
    }

    /** IP_MULTICAST_IF by interface index: {@code ip_mreqn} on IPv4, the index itself on IPv6 (and for IPv4 groups). */
    private void setMulticastInterface(NetworkInterface iface) {
        int index = iface.getIndex();
        ByteBuffer mreqn = ByteBuffer.allocateDirect(DatagramConstants.SIZEOF_IP_MREQN).order(ByteOrder.nativeOrder());
        mreqn.putInt(DatagramConstants.IP_MREQN_OFFSET_IFINDEX, index);
        if (socket.isIpv6()) {
            setIntOpt(DatagramConstants.IPPROTO_IPV6, DatagramConstants.IPV6_MULTICAST_IF, index);
            try {
                socket.setRawOpt(Native.IPPROTO_IP, DatagramConstants.IP_MULTICAST_IF, mreqn);
            } catch (IOException ignore) {
                // IPv6-only socket: no IPv4 groups to send to
            }
        } else {
            try {
                socket.setRawOpt(Native.IPPROTO_IP, DatagramConstants.IP_MULTICAST_IF, mreqn);
            } catch (IOException e) {
                throw new ChannelException(e);
            }
        }
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

    private int ipLevel() {
        return socket.isIpv6() ? DatagramConstants.IPPROTO_IPV6 : Native.IPPROTO_IP;
    }

    private void trySetIntOpt(int level, int optname, int value) {
        try {
            socket.setIntOpt(level, optname, value);
        } catch (IOException ignore) {
            // an IPv6-only socket has no IPv4 side
        }
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
