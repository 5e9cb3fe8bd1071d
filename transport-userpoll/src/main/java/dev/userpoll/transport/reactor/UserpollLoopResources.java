package dev.userpoll.transport.reactor;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.channel.unix.ServerDomainSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * reactor-netty {@link LoopResources} on the transport {@link TransportSelector} chooses, so that the
 * {@code userpoll.transport} setting moves an {@code HttpServer}, {@code HttpClient}, {@code TcpServer},
 * {@code TcpClient} or {@code UdpServer} (and Spring WebFlux on reactor-netty) between this transport and Netty's
 * epoll, io_uring or NIO. reactor-netty's own resources cannot serve this transport: they put NIO channels on
 * loops they do not recognise, which a userpoll loop refuses.
 * <pre>{@code
 * LoopResources loops = UserpollLoopResources.create("http");
 * HttpServer.create().runOn(loops).handle(...).bindNow();
 * }</pre>
 * <p>Like reactor-netty's default: server loops ({@code prefix-<transport>-N}), an optional separate acceptor
 * ("select") group, client loops colocated with the server loops by default (a client call made on a server loop
 * stays on that loop), groups created on first use, daemon threads by default, and a graceful
 * {@link #disposeLater(Duration, Duration)}. The {@code preferNative} flag reactor-netty passes is not consulted:
 * the selection is the switch ({@code nio} included).
 */
public final class UserpollLoopResources implements LoopResources {
    private final SelectedTransport transport;
    private final String prefix;
    private final int workerCount;
    private final int selectCount;
    private final boolean daemon;
    private final boolean colocate;
    private final AtomicReference<EventLoopGroup> serverLoops = new AtomicReference<>();
    private final AtomicReference<EventLoopGroup> selectLoops = new AtomicReference<>();
    private final AtomicReference<EventLoopGroup> clientLoops = new AtomicReference<>();
    private final AtomicBoolean disposed = new AtomicBoolean();

    private UserpollLoopResources(SelectedTransport transport, String prefix, int selectCount, int workerCount,
                                  boolean daemon, boolean colocate) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        if (workerCount < 1) {
            throw new IllegalArgumentException("workerCount must be at least 1: " + workerCount);
        }
        if (selectCount < -1 || selectCount == 0) {
            throw new IllegalArgumentException("selectCount must be -1 (the server loops accept) or at least 1: "
                    + selectCount);
        }
        this.workerCount = workerCount;
        this.selectCount = selectCount;
        this.daemon = daemon;
        this.colocate = colocate;
    }

    /**
     * Loops on the configured transport ({@code userpoll.transport}, ...), reactor-netty's default sizes
     * ({@code reactor.netty.ioWorkerCount}, {@code reactor.netty.ioSelectCount}), daemon threads, colocated clients.
     */
    public static UserpollLoopResources create(String prefix) {
        return create(TransportSelector.select(), prefix, LoopResources.DEFAULT_IO_SELECT_COUNT,
                LoopResources.DEFAULT_IO_WORKER_COUNT, true, true);
    }

    /** Loops on {@code transport}, with reactor-netty's default sizes, daemon threads and colocated clients. */
    public static UserpollLoopResources create(SelectedTransport transport, String prefix) {
        return create(transport, prefix, LoopResources.DEFAULT_IO_SELECT_COUNT, LoopResources.DEFAULT_IO_WORKER_COUNT,
                true, true);
    }

    /**
     * Loops on {@code transport}.
     *
     * @param selectCount threads of a separate acceptor group, or {@code -1}: the server loops accept
     * @param workerCount server loop threads (and client loop threads when not colocated)
     * @param daemon      whether the loop threads are daemon threads
     * @param colocate    whether {@link #onClient} returns the server loops, keeping a client call on the loop it is
     *                    made from, instead of a group of its own
     */
    public static UserpollLoopResources create(SelectedTransport transport, String prefix, int selectCount,
                                               int workerCount, boolean daemon, boolean colocate) {
        return new UserpollLoopResources(transport, prefix, selectCount, workerCount, daemon, colocate);
    }

    /** The transport these loops and channels are on. */
    public SelectedTransport transport() {
        return transport;
    }

    @Override
    public EventLoopGroup onServer(boolean useNative) {
        return group(serverLoops, "", workerCount);
    }

    @Override
    public EventLoopGroup onServerSelect(boolean useNative) {
        return selectCount == -1 ? onServer(useNative) : group(selectLoops, "select-", selectCount);
    }

    @Override
    public EventLoopGroup onClient(boolean useNative) {
        if (colocate) {
            return LoopResources.colocate(onServer(useNative));
        }
        return group(clientLoops, "client-", workerCount);
    }

    @Override
    public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup group) {
        Class<?> chosen;
        if (channelType == ServerSocketChannel.class) {
            chosen = transport.serverChannelClass();
        } else if (channelType == SocketChannel.class) {
            chosen = transport.channelClass();
        } else if (channelType == DatagramChannel.class) {
            chosen = transport.datagramChannelClass();
        } else if (channelType == ServerDomainSocketChannel.class) {
            chosen = transport.serverDomainSocketChannelClass();
        } else if (channelType == DomainSocketChannel.class) {
            chosen = transport.domainSocketChannelClass();
        } else {
            throw new IllegalArgumentException("UserpollLoopResources has no channel for " + channelType.getName());
        }
        if (chosen == null) {
            throw new UnsupportedOperationException("transport " + transport.name() + " has no "
                    + channelType.getSimpleName() + " (userpoll.transport chooses another)");
        }
        if (!channelType.isAssignableFrom(chosen)) {
            // NIO's Unix-domain channels are not io.netty.channel.unix channels: reactor-netty cannot use them.
            throw new UnsupportedOperationException("transport " + transport.name() + " has no "
                    + channelType.getSimpleName() + " (its " + chosen.getName() + " is not one)");
        }
        return chosen.asSubclass(channelType);
    }

    @Override
    public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup group) {
        Class<? extends C> type = onChannelClass(channelType, group);
        try {
            return type.getConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a " + type.getName(), e);
        }
    }

    @Override
    public boolean daemon() {
        return daemon;
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }

    @Override
    public Mono<Void> disposeLater() {
        return disposeLater(Duration.ofSeconds(LoopResources.DEFAULT_SHUTDOWN_QUIET_PERIOD),
                Duration.ofSeconds(LoopResources.DEFAULT_SHUTDOWN_TIMEOUT));
    }

    /** Shuts every group this created down gracefully; the {@link Mono} completes when all have terminated. */
    @Override
    public Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
        return Mono.defer(() -> {
            disposed.set(true);
            List<Mono<Void>> terminations = new ArrayList<>(3);
            for (AtomicReference<EventLoopGroup> ref : List.of(serverLoops, selectLoops, clientLoops)) {
                EventLoopGroup group = ref.get();
                if (group != null) {
                    Future<?> f = group.shutdownGracefully(quietPeriod.toMillis(), timeout.toMillis(),
                            TimeUnit.MILLISECONDS);
                    terminations.add(Mono.create(sink -> f.addListener(done -> {
                        if (done.isSuccess()) {
                            sink.success();
                        } else {
                            sink.error(done.cause());
                        }
                    })));
                }
            }
            return Mono.when(terminations);
        });
    }

    private EventLoopGroup group(AtomicReference<EventLoopGroup> ref, String kind, int threads) {
        EventLoopGroup group = ref.get();
        if (group != null) {
            return group;
        }
        if (disposed.get()) {
            throw new IllegalStateException("UserpollLoopResources " + prefix + " is disposed");
        }
        String threadPrefix = prefix + '-' + kind + transport.name().replace(':', '-');
        EventLoopGroup created = new MultiThreadIoEventLoopGroup(threads,
                new DefaultThreadFactory(threadPrefix, daemon), transport.ioHandlerFactory());
        if (ref.compareAndSet(null, created)) {
            return created;
        }
        // Another thread won the race: its group stays, this one never ran anything.
        created.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        return ref.get();
    }

    @Override
    public String toString() {
        return "UserpollLoopResources(" + prefix + ", " + transport + ", workers " + workerCount
                + (selectCount == -1 ? "" : ", acceptors " + selectCount) + (colocate ? ", colocated" : "") + ')';
    }
}
