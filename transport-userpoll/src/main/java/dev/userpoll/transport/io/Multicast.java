package dev.userpoll.transport.io;

import dev.userpoll.transport.internal.DatagramConstants;
import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Multicast group membership through the protocol-independent requests of RFC 3678 ({@code MCAST_JOIN_GROUP},
 * {@code MCAST_JOIN_SOURCE_GROUP}, {@code MCAST_BLOCK_SOURCE} and their opposites, {@code man 7 ip}): one
 * {@code group_req} / {@code group_source_req} layout for IPv4 and IPv6 groups, at the group's own level, so an
 * IPv6 socket joins IPv4 groups too. Not on a hot path: each call builds its request in a small direct buffer.
 */
public final class Multicast {
    private Multicast() {
    }

    /** Joins {@code group} on {@code iface} ({@code null}: the kernel's choice), for {@code source} only if given. */
    public static void join(Socket socket, InetAddress group, NetworkInterface iface, InetAddress source)
            throws IOException {
        request(socket, source == null ? DatagramConstants.MCAST_JOIN_GROUP : DatagramConstants.MCAST_JOIN_SOURCE_GROUP,
                group, iface, source);
    }

    /** Leaves what {@link #join} joined. */
    public static void leave(Socket socket, InetAddress group, NetworkInterface iface, InetAddress source)
            throws IOException {
        request(socket, source == null ? DatagramConstants.MCAST_LEAVE_GROUP : DatagramConstants.MCAST_LEAVE_SOURCE_GROUP,
                group, iface, source);
    }

    /** Stops datagrams from {@code source} to a joined (any-source) {@code group}. */
    public static void block(Socket socket, InetAddress group, NetworkInterface iface, InetAddress source)
            throws IOException {
        request(socket, DatagramConstants.MCAST_BLOCK_SOURCE, group, iface, source);
    }

    private static void request(Socket socket, int option, InetAddress group, NetworkInterface iface,
                                InetAddress source) throws IOException {
        if (!group.isMulticastAddress()) {
            throw new IOException("not a multicast address: " + group);
        }
        boolean v6 = group instanceof Inet6Address;
        int level = v6 ? DatagramConstants.IPPROTO_IPV6 : Native.IPPROTO_IP;
        int index = iface == null ? 0 : iface.getIndex();
        ByteBuffer req;
        if (source == null) {
            req = direct(DatagramConstants.SIZEOF_GROUP_REQ);
            req.putInt(0, index); // gr_interface
            Sockaddrs.write(req, DatagramConstants.GROUP_REQ_OFFSET_GROUP, new InetSocketAddress(group, 0), v6);
        } else {
            if (source instanceof Inet6Address != v6) {
                throw new IOException("source " + source + " and group " + group + " are of different families");
            }
            req = direct(DatagramConstants.SIZEOF_GROUP_SOURCE_REQ);
            req.putInt(0, index); // gsr_interface
            Sockaddrs.write(req, DatagramConstants.GROUP_SOURCE_REQ_OFFSET_GROUP, new InetSocketAddress(group, 0), v6);
            Sockaddrs.write(req, DatagramConstants.GROUP_SOURCE_REQ_OFFSET_SOURCE, new InetSocketAddress(source, 0), v6);
        }
        socket.setRawOpt(level, option, req);
    }

    private static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }
}
