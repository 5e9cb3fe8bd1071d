package dev.userpoll.transport;

import dev.userpoll.transport.internal.DatagramConstants;
import dev.userpoll.transport.internal.Native;
import io.netty.channel.ChannelException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Enumeration;

/**
 * The multicast options of a {@link UserpollDatagramChannelConfig} ({@code IP_MULTICAST_LOOP_DISABLED},
 * {@code IP_MULTICAST_TTL}, {@code IP_MULTICAST_ADDR}, {@code IP_MULTICAST_IF}), on the socket's own family:
 * {@code IP_MULTICAST_*} on IPv4, {@code IPV6_MULTICAST_*} on IPv6, where the IPv4 option is set too (best effort)
 * so that IPv4 groups reached through v4-mapped addresses follow it. Kernel errors surface as
 * {@link ChannelException}s, as the config's other options do.
 */
final class DatagramMulticastOptions {
    private final UserpollChannelConfig config;
    private final UserpollSocket socket;
    /** What IP_MULTICAST_IF was last set to, as given (the kernel keeps an index, or an address, not both). */
    private volatile NetworkInterface networkInterface;
    private volatile InetAddress multicastInterface;

    DatagramMulticastOptions(UserpollChannelConfig config, UserpollSocket socket) {
        this.config = config;
        this.socket = socket;
    }

    boolean isLoopbackModeDisabled() {
        return familyOpt(DatagramConstants.IP_MULTICAST_LOOP, DatagramConstants.IPV6_MULTICAST_LOOP) == 0;
    }

    void setLoopbackModeDisabled(boolean loopbackModeDisabled) {
        setFamilyOpt(DatagramConstants.IP_MULTICAST_LOOP, DatagramConstants.IPV6_MULTICAST_LOOP,
                loopbackModeDisabled ? 0 : 1);
    }

    int getTimeToLive() {
        return familyOpt(DatagramConstants.IP_MULTICAST_TTL, DatagramConstants.IPV6_MULTICAST_HOPS);
    }

    void setTimeToLive(int ttl) {
        setFamilyOpt(DatagramConstants.IP_MULTICAST_TTL, DatagramConstants.IPV6_MULTICAST_HOPS, ttl);
    }

    InetAddress getInterface() {
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

    void setInterface(InetAddress interfaceAddress) {
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
    }

    NetworkInterface getNetworkInterface() {
        return networkInterface;
    }

    void setNetworkInterface(NetworkInterface networkInterface) {
        setMulticastInterface(networkInterface);
        this.networkInterface = networkInterface;
        this.multicastInterface = null;
    }

    /** IP_MULTICAST_IF by interface index: {@code ip_mreqn} on IPv4, the index itself on IPv6 (and for IPv4 groups). */
    private void setMulticastInterface(NetworkInterface iface) {
        int index = iface.getIndex();
        ByteBuffer mreqn = ByteBuffer.allocateDirect(DatagramConstants.SIZEOF_IP_MREQN).order(ByteOrder.nativeOrder());
        mreqn.putInt(DatagramConstants.IP_MREQN_OFFSET_IFINDEX, index);
        if (socket.isIpv6()) {
            config.setIntOpt(DatagramConstants.IPPROTO_IPV6, DatagramConstants.IPV6_MULTICAST_IF, index);
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

    /** The socket's own family's option of a pair: {@code ipv4Opt} at {@code IPPROTO_IP}, {@code ipv6Opt} at IPv6's. */
    private int familyOpt(int ipv4Opt, int ipv6Opt) {
        return socket.isIpv6() ? config.getIntOpt(DatagramConstants.IPPROTO_IPV6, ipv6Opt)
                : config.getIntOpt(Native.IPPROTO_IP, ipv4Opt);
    }

    /** Sets the socket's own family's option of a pair; an IPv6 socket sets the IPv4 one too, best effort. */
    private void setFamilyOpt(int ipv4Opt, int ipv6Opt, int value) {
        if (socket.isIpv6()) {
            config.setIntOpt(DatagramConstants.IPPROTO_IPV6, ipv6Opt, value);
            // An IPv6 socket also sends to IPv4 groups (v4-mapped): those follow the IPv4 option.
            try {
                socket.setIntOpt(Native.IPPROTO_IP, ipv4Opt, value);
            } catch (IOException ignore) {
                // an IPv6-only socket has no IPv4 side
            }
        } else {
            config.setIntOpt(Native.IPPROTO_IP, ipv4Opt, value);
        }
    }
}
