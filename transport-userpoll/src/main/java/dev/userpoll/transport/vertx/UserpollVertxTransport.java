package dev.userpoll.transport.vertx;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import dev.userpoll.transport.UserpollChannelOption;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.UnixChannelOption;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;

import java.net.SocketAddress;
import java.util.Objects;

/**
 * Vert.x 5 on the transport {@link TransportSelector} chooses, for {@code Vertx.builder().withTransport(...)}:
 * <pre>{@code
 * Vertx vertx = Vertx.builder().withTransport(UserpollVertxTransport.select()).build();
 * }</pre>
 * A {@code userpoll} choice gets this transport's loops and channels (TCP, HTTP, UDP for the DNS resolver and
 * datagram sockets, Unix-domain sockets for {@code SocketAddress.domainSocketAddress}, each once this transport has
 * the channel; a missing kind is an {@link UnsupportedOperationException} naming it). A choice of Netty's
 * ({@code netty-epoll}, {@code netty-io_uring}, {@code nio}) gets Vert.x's own transport for it, so one setting moves
 * a Vert.x service between the two. Vert.x falls back to NIO by itself, with a warning, when the transport it is
 * given is unavailable; {@link TransportSelector} never gives it one.
 */
public final class UserpollVertxTransport implements Transport {
    private final SelectedTransport transport;
    private final Spi implementation;

    private UserpollVertxTransport(SelectedTransport transport) {
        this.transport = transport;
        this.implementation = new Spi(transport);
    }

    /** The configured transport ({@code userpoll.transport}, ...) as a Vert.x transport. */
    public static Transport select() {
        return of(TransportSelector.select());
    }

    /** {@code transport} as a Vert.x transport: this one's for {@code userpoll}, Vert.x's own for Netty's. */
    public static Transport of(SelectedTransport transport) {
        Objects.requireNonNull(transport, "transport");
        if (transport.isUserpoll()) {
            return new UserpollVertxTransport(transport);
        }
        switch (transport.name()) {
            case "netty-epoll":
                return Transport.EPOLL;
            case "netty-io_uring":
                return Transport.IO_URING;
            case "nio":
                return Transport.NIO;
            default:
                throw new IllegalArgumentException("no Vert.x transport for " + transport.name());
        }
    }

    /** The transport this wraps. */
    public SelectedTransport transport() {
        return transport;
    }

    @Override
    public String name() {
        return transport.name();
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public Throwable unavailabilityCause() {
        return null;
    }

    @Override
    public io.vertx.core.spi.transport.Transport implementation() {
        return implementation;
    }

    @Override
    public String toString() {
        return "UserpollVertxTransport(" + transport + ')';
    }

    /** The SPI Vert.x calls: loops, channels and the options Vert.x maps onto this transport's channel options. */
    static final class Spi implements io.vertx.core.spi.transport.Transport {
        private final SelectedTransport transport;

        Spi(SelectedTransport transport) {
            this.transport = transport;
        }

        @Override
        public boolean supportsDomainSockets() {
            return transport.domainSocketChannelClass() != null && transport.serverDomainSocketChannelClass() != null;
        }

        @Override
        public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
            if (address.isDomainSocket()) {
                return new DomainSocketAddress(address.path());
            }
            return io.vertx.core.spi.transport.Transport.super.convert(address);
        }

        @Override
        public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
            if (address instanceof DomainSocketAddress) {
                return io.vertx.core.net.SocketAddress.domainSocketAddress(((DomainSocketAddress) address).path());
            }
            return io.vertx.core.spi.transport.Transport.super.convert(address);
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return transport.ioHandlerFactory();
        }

        @Override
        public DatagramChannel datagramChannel() {
            return transport.datagramChannelFactory().newChannel();
        }

        @Override
        public DatagramChannel datagramChannel(InternetProtocolFamily family) {
            // This transport's datagram sockets are dual-stack (AF_INET6 unless IPv4 is preferred), as Netty's epoll.
            return datagramChannel();
        }

        @Override
        public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
            return domainSocket ? transport.domainSocketChannelFactory() : transport.channelFactory();
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            return domainSocket ? transport.serverDomainSocketChannelFactory() : transport.serverChannelFactory();
        }

        @Override
        public void configure(DatagramChannel channel, DatagramSocketOptions options) {
            channel.config().setOption(UnixChannelOption.SO_REUSEPORT, options.isReusePort());
            io.vertx.core.spi.transport.Transport.super.configure(channel, options);
        }

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            if (!domainSocket) {
                bootstrap.option(UnixChannelOption.SO_REUSEPORT, options.isReusePort());
                if (options.isTcpFastOpen()) {
                    // Vert.x's own native transports use a queue of 256 pending fast-open requests.
                    bootstrap.option(UserpollChannelOption.TCP_FASTOPEN, 256);
                }
                bootstrap.childOption(UserpollChannelOption.TCP_QUICKACK, options.isTcpQuickAck());
                bootstrap.childOption(UserpollChannelOption.TCP_CORK, options.isTcpCork());
            }
            io.vertx.core.spi.transport.Transport.super.configure(options, domainSocket, bootstrap);
        }

        @Override
        public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket,
                              Bootstrap bootstrap) {
            if (!domainSocket) {
                if (options.isTcpFastOpen()) {
                    bootstrap.option(UserpollChannelOption.TCP_FASTOPEN_CONNECT, true);
                }
                bootstrap.option(UserpollChannelOption.TCP_USER_TIMEOUT, options.getTcpUserTimeout());
                bootstrap.option(UserpollChannelOption.TCP_QUICKACK, options.isTcpQuickAck());
                bootstrap.option(UserpollChannelOption.TCP_CORK, options.isTcpCork());
            }
            io.vertx.core.spi.transport.Transport.super.configure(options, connectTimeout, domainSocket, bootstrap);
        }
    }
}
