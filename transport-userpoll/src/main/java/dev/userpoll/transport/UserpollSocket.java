package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;

import java.io.IOException;

/** A non-blocking TCP socket: Netty's unix {@link Socket} plus what only this transport's library has. */
final class UserpollSocket extends Socket {
    UserpollSocket(int fd) {
        super(fd);
    }

    static UserpollSocket newStream(boolean ipv6) {
        return new UserpollSocket(newSocketStream0(ipv6));
    }

    static UserpollSocket newStream(SocketProtocolFamily family) {
        return family == null ? newStream(isIPv6Preferred()) : newStream(family == SocketProtocolFamily.INET6);
    }

    boolean isIpv6() {
        return ipv6;
    }

    /**
     * sendfile(2) from a {@link DefaultFileRegion}, {@code count} bytes from {@code position + offset};
     * the region's transferred count is advanced. Returns bytes sent, or 0 when the socket is full.
     */
    long sendFile(DefaultFileRegion region, long position, long offset, long count) throws IOException {
        region.open(); // the region opens its file lazily
        long res = Native.sendfileRegion(intValue(), region, position, offset, count);
        if (res > 0) {
            return res;
        }
        if (res == 0) {
            // sendfile(2) returns 0 only at the end of the file: it is shorter than the region says.
            throw new IOException("sendfile: file ended before the region did (" + region + ")");
        }
        return Errors.ioResult("sendfile", (int) res); // 0 on EAGAIN: the socket is full

    }
}
