package dev.userpoll.transport.grpc;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.channel.MultiThreadIoEventLoopGroup;

import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * grpc-java (the unshaded {@code grpc-netty}) on the transport {@link TransportSelector} chooses: one event loop
 * group and the matching channel types for servers and clients, so that {@code userpoll.transport} moves a gRPC
 * service between this transport and Netty's epoll, io_uring or NIO.
 * <pre>{@code
 * try (UserpollGrpc grpc = UserpollGrpc.create()) {
 *     Server server = grpc.serverBuilder(new InetSocketAddress(50051)).addService(...).build().start();
 *     ManagedChannel channel = grpc.channelBuilder(server.getListenSockets().get(0)).usePlaintext().build();
 *     ...   // shut the server and channels down first; close() then stops the loops
 * }
 * }</pre>
 * grpc-java needs the channel type and the groups together (it refuses one without the others) and never shuts a
 * group it was given down: {@link #close()} does, after the servers and channels built here have stopped.
 * A {@link DomainSocketAddress} gets the transport's Unix-domain channel types.
 */
public final class UserpollGrpc implements AutoCloseable {
    private final SelectedTransport transport;
    private final EventLoopGroup group;

    private UserpollGrpc(SelectedTransport transport, EventLoopGroup group) {
        this.transport = transport;
        this.group = group;
    }

    /** The configured transport ({@code userpoll.transport}, ...), one loop per core (Netty's default). */
    public static UserpollGrpc create() {
        return create(TransportSelector.select(), 0);
    }

    /** {@code threads} loops ({@code 0}: Netty's default) on {@code transport}, daemon threads named {@code grpc-*}. */
    public static UserpollGrpc create(SelectedTransport transport, int threads) {
        Objects.requireNonNull(transport, "transport");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
                new DefaultThreadFactory("grpc-" + transport.name().replace(':', '-'), true),
                transport.ioHandlerFactory());
        return new UserpollGrpc(transport, group);
    }

    /** The transport of the loops and channels. */
    public SelectedTransport transport() {
        return transport;
    }

    /** The loops every server and channel built here runs on (acceptor and connections alike). */
    public EventLoopGroup eventLoopGroup() {
        return group;
    }

    /** {@code NettyServerBuilder.forAddress(address)}, on these loops and channel types. */
    public NettyServerBuilder serverBuilder(SocketAddress address) {
        return configure(NettyServerBuilder.forAddress(address), address instanceof DomainSocketAddress);
    }

    /** Puts a server builder on these loops and channel types ({@code domainSocket}: Unix-domain listeners). */
    public NettyServerBuilder configure(NettyServerBuilder builder, boolean domainSocket) {
        Class<? extends ServerChannel> type = domainSocket
                ? require(transport.serverDomainSocketChannelClass(), "Unix-domain server")
                : transport.serverChannelClass();
        return builder.channelType(type).bossEventLoopGroup(group).workerEventLoopGroup(group);
    }

    /** {@code NettyChannelBuilder.forAddress(address)}, on these loops and channel types. */
    public NettyChannelBuilder channelBuilder(SocketAddress address) {
        return configure(NettyChannelBuilder.forAddress(address), address instanceof DomainSocketAddress);
    }

    /** Puts a channel builder on these loops and channel types ({@code domainSocket}: Unix-domain targets). */
    public NettyChannelBuilder configure(NettyChannelBuilder builder, boolean domainSocket) {
        if (domainSocket) {
            Class<? extends Channel> type = require(transport.domainSocketChannelClass(), "Unix-domain");
            return builder.channelType(type, DomainSocketAddress.class).eventLoopGroup(group);
        }
        return builder.channelType(transport.channelClass()).eventLoopGroup(group);
    }

    private <T> T require(T channelClass, String kind) {
        if (channelClass == null) {
            throw new UnsupportedOperationException("transport " + transport.name() + " has no " + kind
                    + " channel (userpoll.transport chooses another)");
        }
        return channelClass;
    }

    /** Shuts the loops down gracefully (no quiet period) and waits up to 10 s for them to terminate. */
    @Override
    public void close() {
        Future<?> f = group.shutdownGracefully(0, 10, TimeUnit.SECONDS);
        f.awaitUninterruptibly(15, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "UserpollGrpc(" + transport + ')';
    }
}
