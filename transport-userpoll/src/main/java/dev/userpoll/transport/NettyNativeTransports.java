package dev.userpoll.transport;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;

/**
 * Netty's own native transports, which are optional dependencies of this module. Each nested class
 * names Netty's classes directly, so it is loaded only after {@link TransportSelector} has found them
 * on the class path.
 */
final class NettyNativeTransports {
    /** Netty's epoll transport ({@code netty-transport-native-epoll}). */
    static final class NettyEpoll {
        static final String PROBE_CLASS = "io.netty.channel.epoll.Epoll";
        static final String ARTIFACT = "netty-transport-native-epoll";

        static Throwable unavailabilityCause() {
            return Epoll.unavailabilityCause();
        }

        static IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        static Class<? extends ServerSocketChannel> serverChannelClass() {
            return EpollServerSocketChannel.class;
        }

        static Class<? extends SocketChannel> channelClass() {
            return EpollSocketChannel.class;
        }

        private NettyEpoll() {
        }
    }

    /** Netty's io_uring transport ({@code netty-transport-native-io_uring}). */
    static final class NettyIoUring {
        static final String PROBE_CLASS = "io.netty.channel.uring.IoUring";
        static final String ARTIFACT = "netty-transport-native-io_uring";

        static Throwable unavailabilityCause() {
            return IoUring.unavailabilityCause();
        }

        static IoHandlerFactory ioHandlerFactory() {
            return IoUringIoHandler.newFactory();
        }

        static Class<? extends ServerSocketChannel> serverChannelClass() {
            return IoUringServerSocketChannel.class;
        }

        static Class<? extends SocketChannel> channelClass() {
            return IoUringSocketChannel.class;
        }

        private NettyIoUring() {
        }
    }

    private NettyNativeTransports() {
    }
}
