package dev.userpoll.transport;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
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

        static ChannelClasses channelClasses() {
            return new ChannelClasses(EpollServerSocketChannel.class, EpollSocketChannel.class,
                    EpollDatagramChannel.class, EpollServerDomainSocketChannel.class,
                    EpollDomainSocketChannel.class, EpollDomainDatagramChannel.class);
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

        static ChannelClasses channelClasses() {
            // Netty's io_uring transport has no Unix-domain datagram channel.
            return new ChannelClasses(IoUringServerSocketChannel.class, IoUringSocketChannel.class,
                    IoUringDatagramChannel.class, IoUringServerDomainSocketChannel.class,
                    IoUringDomainSocketChannel.class, null);
        }

        private NettyIoUring() {
        }
    }

    private NettyNativeTransports() {
    }
}
