package dev.userpoll.transport;

import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Socket;

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
}
