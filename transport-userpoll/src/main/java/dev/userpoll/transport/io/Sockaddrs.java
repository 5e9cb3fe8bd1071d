package dev.userpoll.transport.io;

import dev.userpoll.transport.internal.DatagramConstants;
import io.netty.channel.unix.DomainSocketAddress;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * {@code sockaddr_in}, {@code sockaddr_in6} and {@code sockaddr_un} written into and read from native memory (a
 * direct buffer in native byte order), with the layouts the C headers give ({@link DatagramConstants}). Ports and
 * addresses are in network byte order, the family in native order. An IPv4 address sent from an IPv6 socket is
 * written as its v4-mapped IPv6 form ({@code ::ffff:a.b.c.d}), as the kernel expects.
 */
final class Sockaddrs {
    private static final int AF_INET = DatagramConstants.AF_INET;
    private static final int AF_INET6 = DatagramConstants.AF_INET6;
    private static final int AF_UNIX = DatagramConstants.AF_UNIX;
    private static final int IN_ADDR = DatagramConstants.SOCKADDR_IN_OFFSET_ADDR;
    private static final int IN6_ADDR = DatagramConstants.SOCKADDR_IN6_OFFSET_ADDR;
    private static final int IN6_SCOPE_ID = DatagramConstants.SOCKADDR_IN6_OFFSET_SCOPE_ID;
    private static final int UN_PATH = DatagramConstants.SOCKADDR_UN_OFFSET_PATH;
    /** Room for a path in {@code sun_path}, its terminating NUL included. */
    private static final int UN_PATH_ROOM = DatagramConstants.SIZEOF_SOCKADDR_UN - UN_PATH;
    /** The address of an unnamed (unbound) Unix-domain socket. */
    private static final DomainSocketAddress UNNAMED = new DomainSocketAddress("");
    /** {@code sin_port} and {@code sin6_port} sit right after the 2-byte family in both layouts. */
    private static final int PORT = 2;

    private Sockaddrs() {
    }

    /**
     * Writes {@code address} at {@code offset} (room: a {@code sockaddr_storage}); returns its length. An
     * {@link InetSocketAddress} takes the socket's family ({@code ipv6}); unresolved ones are refused.
     */
    static int write(ByteBuffer mem, int offset, SocketAddress address, boolean ipv6) {
        if (address instanceof InetSocketAddress) {
            InetSocketAddress inet = (InetSocketAddress) address;
            InetAddress ip = inet.getAddress();
            if (ip == null) {
                throw new java.nio.channels.UnresolvedAddressException();
            }
            return ipv6 ? writeIn6(mem, offset, ip, inet.getPort()) : writeIn(mem, offset, ip, inet.getPort());
        }
        if (address instanceof DomainSocketAddress) {
            return writeUn(mem, offset, ((DomainSocketAddress) address).path());
        }
        throw new IllegalArgumentException("unsupported address type: " + address);
    }

    private static int writeIn(ByteBuffer mem, int offset, InetAddress ip, int port) {
        if (!(ip instanceof Inet4Address)) {
            byte[] b = ip.getAddress();
            if (!isV4Mapped(b)) {
                throw new IllegalArgumentException("IPv6 address " + ip + " on an IPv4 socket");
            }
            ip = v4(b);
        }
        clear(mem, offset, DatagramConstants.SIZEOF_SOCKADDR_IN);
        mem.putShort(offset, (short) AF_INET);
        putPort(mem, offset, port);
        mem.put(offset + IN_ADDR, ip.getAddress());
        return DatagramConstants.SIZEOF_SOCKADDR_IN;
    }

    private static int writeIn6(ByteBuffer mem, int offset, InetAddress ip, int port) {
        clear(mem, offset, DatagramConstants.SIZEOF_SOCKADDR_IN6);
        mem.putShort(offset, (short) AF_INET6);
        putPort(mem, offset, port);
        byte[] b = ip.getAddress();
        if (b.length == 4) {
            mem.put(offset + IN6_ADDR + 10, (byte) 0xff);
            mem.put(offset + IN6_ADDR + 11, (byte) 0xff);
            mem.put(offset + IN6_ADDR + 12, b);
        } else {
            mem.put(offset + IN6_ADDR, b);
            mem.putInt(offset + IN6_SCOPE_ID, ((Inet6Address) ip).getScopeId());
        }
        return DatagramConstants.SIZEOF_SOCKADDR_IN6;
    }

    private static int writeUn(ByteBuffer mem, int offset, String path) {
        byte[] b = path.getBytes(StandardCharsets.UTF_8);
        if (b.length >= UN_PATH_ROOM) {
            throw new IllegalArgumentException("Unix-domain path longer than " + (UN_PATH_ROOM - 1) + " bytes: " + path);
        }
        clear(mem, offset, UN_PATH + b.length + 1);
        mem.putShort(offset, (short) AF_UNIX);
        mem.put(offset + UN_PATH, b);
        // An abstract-namespace name (leading NUL) is exactly as long as its bytes; a path counts its NUL.
        return UN_PATH + b.length + (b.length > 0 && b[0] == 0 ? 0 : 1);
    }

    /**
     * Reads the address of {@code length} bytes at {@code offset} (an unnamed Unix-domain sender has the empty path),
     * or {@code null} when there is none. {@code last} is returned instead of a new object when it is the same address.
     */
    static SocketAddress read(ByteBuffer mem, int offset, int length, SocketAddress last) {
        if (length < PORT) {
            return null;
        }
        int family = mem.getShort(offset);
        if (family == AF_INET && length >= DatagramConstants.SIZEOF_SOCKADDR_IN) {
            int port = getPort(mem, offset);
            if (last instanceof InetSocketAddress && ((InetSocketAddress) last).getPort() == port) {
                InetAddress lastIp = ((InetSocketAddress) last).getAddress();
                if (lastIp instanceof Inet4Address && sameV4(mem, offset + IN_ADDR, lastIp)) {
                    return last;
                }
            }
            byte[] b = new byte[4];
            mem.get(offset + IN_ADDR, b);
            return new InetSocketAddress(address(b, 0), port);
        }
        if (family == AF_INET6 && length >= DatagramConstants.SIZEOF_SOCKADDR_IN6) {
            int port = getPort(mem, offset);
            byte[] b = new byte[16];
            mem.get(offset + IN6_ADDR, b);
            int scope = mem.getInt(offset + IN6_SCOPE_ID);
            if (isV4Mapped(b)) {
                InetSocketAddress addr = new InetSocketAddress(v4(b), port);
                return addr.equals(last) ? last : addr;
            }
            try {
                InetSocketAddress addr = new InetSocketAddress(Inet6Address.getByAddress(null, b, scope), port);
                return addr.equals(last) ? last : addr;
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // 16 bytes are always a valid IPv6 address
            }
        }
        if (family == AF_UNIX) {
            int n = length - UN_PATH;
            if (n <= 0) {
                return UNNAMED; // an unbound sender: no path, as Netty's epoll reports it
            }
            byte[] b = new byte[n];
            mem.get(offset + UN_PATH, b);
            int end = n;
            if (b[0] != 0) { // a path ends at its NUL; an abstract name is all of its bytes
                for (end = 0; end < n && b[end] != 0; end++) {
                    // find the NUL
                }
            }
            String path = new String(b, 0, end, StandardCharsets.UTF_8);
            if (last instanceof DomainSocketAddress && ((DomainSocketAddress) last).path().equals(path)) {
                return last;
            }
            return new DomainSocketAddress(path);
        }
        return null;
    }

    private static boolean sameV4(ByteBuffer mem, int offset, InetAddress ip) {
        byte[] b = ip.getAddress();
        for (int i = 0; i < 4; i++) {
            if (mem.get(offset + i) != b[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean isV4Mapped(byte[] b) {
        if (b.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    private static InetAddress v4(byte[] mapped) {
        return address(mapped, 12);
    }

    private static InetAddress address(byte[] b, int from) {
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, from, from + 4));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 bytes are always a valid IPv4 address
        }
    }

    private static void putPort(ByteBuffer mem, int offset, int port) {
        mem.put(offset + PORT, (byte) (port >>> 8));
        mem.put(offset + PORT + 1, (byte) port);
    }

    private static int getPort(ByteBuffer mem, int offset) {
        return (mem.get(offset + PORT) & 0xff) << 8 | mem.get(offset + PORT + 1) & 0xff;
    }

    private static void clear(ByteBuffer mem, int offset, int length) {
        for (int i = 0; i < length; i++) {
            mem.put(offset + i, (byte) 0);
        }
    }
}
