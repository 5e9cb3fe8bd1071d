package dev.userpoll.transport.io;

import dev.userpoll.transport.internal.DatagramConstants;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The sockaddr encoding the datagram channels write into native memory and read back from the kernel. */
class SockaddrsTest {
    private final ByteBuffer mem = ByteBuffer.allocateDirect(DatagramConstants.SIZEOF_SOCKADDR_STORAGE)
            .order(ByteOrder.nativeOrder());

    private SocketAddress roundTrip(SocketAddress address, boolean ipv6) {
        int len = Sockaddrs.write(mem, 0, address, ipv6);
        return Sockaddrs.read(mem, 0, len, null);
    }

    @Test
    void ipv4OnAnIpv4Socket() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 65535);
        assertEquals(DatagramConstants.SIZEOF_SOCKADDR_IN, Sockaddrs.write(mem, 0, a, false));
        assertEquals(DatagramConstants.AF_INET, mem.getShort(0));
        assertEquals((byte) 0xff, mem.get(2), "the port in network order");
        assertEquals(a, roundTrip(a, false));
    }

    @Test
    void ipv4OnAnIpv6SocketIsV4Mapped() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 5353);
        assertEquals(DatagramConstants.SIZEOF_SOCKADDR_IN6, Sockaddrs.write(mem, 0, a, true));
        assertEquals(DatagramConstants.AF_INET6, mem.getShort(0));
        assertEquals(a, roundTrip(a, true), "read back as the IPv4 address it maps");
    }

    @Test
    void ipv6WithScope() throws Exception {
        InetSocketAddress a = new InetSocketAddress(Inet6Address.getByAddress(null,
                InetAddress.getByName("fe80::1").getAddress(), 3), 1234);
        assertEquals(a, roundTrip(a, true));
        assertThrows(IllegalArgumentException.class,
                () -> Sockaddrs.write(mem, 0, new InetSocketAddress(InetAddress.getByName("::1"), 1), false));
    }

    @Test
    void unixPathsAbstractNamesAndUnnamed() {
        DomainSocketAddress path = new DomainSocketAddress("/tmp/userpoll.sock");
        assertEquals(path, roundTrip(path, false));
        DomainSocketAddress abstractName = new DomainSocketAddress("\0userpoll-abstract");
        assertEquals(abstractName, roundTrip(abstractName, false));
        mem.putShort(0, (short) DatagramConstants.AF_UNIX);
        assertEquals(new DomainSocketAddress(""), Sockaddrs.read(mem, 0, 2, null), "an unbound sender");
        assertThrows(IllegalArgumentException.class,
                () -> Sockaddrs.write(mem, 0, new DomainSocketAddress("/" + "x".repeat(200)), false));
    }

    @Test
    void theLastSenderIsReusedWhenItRepeats() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9);
        int len = Sockaddrs.write(mem, 0, a, false);
        SocketAddress first = Sockaddrs.read(mem, 0, len, null);
        assertSame(first, Sockaddrs.read(mem, 0, len, first), "no new address per datagram from one sender");
    }
}
