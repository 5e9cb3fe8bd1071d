package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

import java.util.List;

/**
 * What {@link TransportSelector} chose: everything a bootstrap needs, and a record of what was skipped.
 * <pre>{@code
 * SelectedTransport t = TransportSelector.select();
 * EventLoopGroup group = t.newEventLoopGroup(0);
 * new ServerBootstrap().group(group).channelFactory(t.serverChannelFactory())...
 * }</pre>
 */
public final class SelectedTransport {
    /** A preference entry that was tried before the winner and could not be used, with the reason. */
    public record Skipped(String name, Throwable cause) {
        @Override
        public String toString() {
            return name + " (" + TransportSelector.describe(cause) + ')';
        }
    }

    private final String name;
    private final RingSourceKind ringSource;
    private final IdlePolicy idlePolicy;
    private final IoSubmitter ioSubmitter;
    private final IoHandlerFactory ioHandlerFactory;
    private final ChannelClasses channels;
    private final List<Skipped> skipped;

    SelectedTransport(String name, RingSourceKind ringSource, IdlePolicy idlePolicy, IoSubmitter ioSubmitter,
                      IoHandlerFactory ioHandlerFactory, ChannelClasses channels, List<Skipped> skipped) {
        this.name = name;
        this.ringSource = ringSource;
        this.idlePolicy = idlePolicy;
        this.ioSubmitter = ioSubmitter;
        this.ioHandlerFactory = ioHandlerFactory;
        this.channels = channels;
        this.skipped = List.copyOf(skipped);
    }

    /**
     * The entry that won, in its canonical form: {@code userpoll:io_uring} (always with the ring source),
     * {@code netty-epoll}, {@code netty-io_uring} or {@code nio}. Valid as a preference on its own.
     */
    public String name() {
        return name;
    }

    /** {@code true} when the winner is this project's transport. */
    public boolean isUserpoll() {
        return ringSource != null;
    }

    /** The ring source the userpoll transport drains, or {@code null} for Netty's transports. */
    public RingSourceKind ringSource() {
        return ringSource;
    }

    /** The idle policy of the userpoll transport's loops, or {@code null} for Netty's transports. */
    public IdlePolicy idlePolicy() {
        return idlePolicy;
    }

    /** How the userpoll transport's channels read and write, or {@code null} for Netty's transports. */
    public IoSubmitter ioSubmitter() {
        return ioSubmitter;
    }

    /** The factory for {@link MultiThreadIoEventLoopGroup}. */
    public IoHandlerFactory ioHandlerFactory() {
        return ioHandlerFactory;
    }

    /** The server socket channel class for {@code ServerBootstrap.channel(...)}. */
    public Class<? extends ServerSocketChannel> serverChannelClass() {
        return channels.serverSocket();
    }

    /** The client (and accepted) socket channel class for {@code Bootstrap.channel(...)}. */
    public Class<? extends SocketChannel> channelClass() {
        return channels.socket();
    }

    /** A factory of {@link #serverChannelClass()} for {@code ServerBootstrap.channelFactory(...)}. */
    public ChannelFactory<ServerSocketChannel> serverChannelFactory() {
        return new ReflectiveChannelFactory<>(channels.serverSocket());
    }

    /** A factory of {@link #channelClass()} for {@code Bootstrap.channelFactory(...)}. */
    public ChannelFactory<SocketChannel> channelFactory() {
        return new ReflectiveChannelFactory<>(channels.socket());
    }

    /** The UDP channel class, or {@code null} when this transport has none. */
    public Class<? extends DatagramChannel> datagramChannelClass() {
        return channels.datagram();
    }

    /** A factory of {@link #datagramChannelClass()}. */
    public ChannelFactory<DatagramChannel> datagramChannelFactory() {
        return new ReflectiveChannelFactory<>(require(channels.datagram(), "UDP"));
    }

    /**
     * The Unix-domain stream server channel class, or {@code null} when this transport has none. Netty's native
     * transports and this one take a {@code io.netty.channel.unix.DomainSocketAddress}; NIO's a JDK
     * {@code UnixDomainSocketAddress}.
     */
    public Class<? extends ServerChannel> serverDomainSocketChannelClass() {
        return channels.serverDomainSocket();
    }

    /** The Unix-domain stream client (and accepted) channel class, or {@code null} when this transport has none. */
    public Class<? extends Channel> domainSocketChannelClass() {
        return channels.domainSocket();
    }

    /** A factory of {@link #serverDomainSocketChannelClass()}. */
    public ChannelFactory<ServerChannel> serverDomainSocketChannelFactory() {
        return new ReflectiveChannelFactory<>(require(channels.serverDomainSocket(), "Unix-domain stream server"));
    }

    /** A factory of {@link #domainSocketChannelClass()}. */
    public ChannelFactory<Channel> domainSocketChannelFactory() {
        return new ReflectiveChannelFactory<>(require(channels.domainSocket(), "Unix-domain stream"));
    }

    /**
     * The Unix-domain datagram channel class, or {@code null} when this transport has none (Netty's io_uring and
     * NIO transports).
     */
    public Class<? extends Channel> domainDatagramChannelClass() {
        return channels.domainDatagram();
    }

    private <T> Class<? extends T> require(Class<? extends T> channelClass, String kind) {
        if (channelClass == null) {
            throw new UnsupportedOperationException(name + " has no " + kind + " channel");
        }
        return channelClass;
    }

    /** A new event loop group on this transport; {@code threads == 0} means Netty's default count. */
    public MultiThreadIoEventLoopGroup newEventLoopGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }

    /** The entries tried before the winner, in order, each with why it could not be used. */
    public List<Skipped> skipped() {
        return skipped;
    }

    /** One line for logs and banners, e.g. {@code userpoll:io_uring (ring source io_uring, I/O batched, idle park)}. */
    @Override
    public String toString() {
        if (ringSource == null) {
            return name;
        }
        return name + " (ring source " + ringSource.configName() + ", I/O " + ioSubmitter.configName()
                + ", idle " + idlePolicy + ')';
    }
}
