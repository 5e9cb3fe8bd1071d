package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.ChannelException;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;

import java.io.IOException;

/** A non-blocking socket (TCP, UDP, Unix-domain): Netty's unix {@link Socket} plus what only this transport's library has. */
final class UserpollSocket extends Socket {
    static {
        // Netty's Socket natives are registered when our library loads: a channel made before any event loop (the
        // first thing a program does, often) must load it first.
        Native.ensureLoaded();
    }

    UserpollSocket(int fd) {
        super(fd);
    }

    static UserpollSocket newStream(boolean ipv6) {
        return new UserpollSocket(newSocketStream0(ipv6));
    }

    static UserpollSocket newStream(SocketProtocolFamily family) {
        return family == null ? newStream(isIPv6Preferred()) : newStream(family == SocketProtocolFamily.INET6);
    }

    /** A Unix-domain stream socket ({@code AF_UNIX, SOCK_STREAM}), non-blocking. */
    static UserpollSocket newDomainStream() {
        return new UserpollSocket(newSocketDomain0());
    }

    /**
     * A socket on an fd this process was handed (systemd socket activation, a parent process): made non-blocking,
     * as every fd on the ring must be. A bad fd (closed, not a socket) is a {@link ChannelException} naming it.
     */
    static UserpollSocket inherited(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd: " + fd + " (expected: >= 0)");
        }
        int res = Native.setNonBlocking(fd);
        if (res < 0) {
            throw new ChannelException("fd " + fd + " cannot be used",
                    Errors.newIOException("fcntl(O_NONBLOCK)", res));
        }
        return new UserpollSocket(fd); // getsockname: a non-socket fd fails here
    }

    /** Whether the socket listens ({@code SO_ACCEPTCONN}): an inherited listener is active at once. */
    boolean isListening() {
        try {
            return getIntOpt(Native.SOL_SOCKET, Native.SO_ACCEPTCONN) != 0;
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** A Unix-domain datagram socket ({@code AF_UNIX, SOCK_DGRAM}), non-blocking. */
    static UserpollSocket newDomainDatagram() {
        return new UserpollSocket(newSocketDomainDgram0());
    }

    static UserpollSocket newDatagram(SocketProtocolFamily family) {
        return new UserpollSocket(family == null ? newSocketDgram0() : newSocketDgram0(family));
    }

    boolean isIpv6() {
        return ipv6;
    }
}
