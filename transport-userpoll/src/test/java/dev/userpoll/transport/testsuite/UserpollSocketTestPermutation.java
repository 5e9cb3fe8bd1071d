package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.UserpollIoHandler;
import dev.userpoll.transport.UserpollServerSocketChannel;
import dev.userpoll.transport.UserpollSocketChannel;
import dev.userpoll.transport.ring.RingSourceKind;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Netty's socket test permutation for our channels, the way Netty's epoll module builds its own (it stands
 * alone rather than extending {@code SocketTestPermutation}, whose instances start NIO and OIO groups of their own).
 *
 * <p>For every ring source this machine has, a socket test runs three combinations: our server with our client,
 * our server with a NIO client, and a NIO server with our client. NIO with NIO tests only Netty and is left out, and
 * so is the cross product of ring sources (a server on one source with a client on another): the NIO pairs already
 * put a foreign event loop on the other end, and the cross product would double the run time. Client-only and
 * server-only tests run our channel once per ring source, against the plain {@code java.net} peer the test brings.
 *
 * <p>The sources are all that {@link RingSourceKind#isAvailable()} reports, or exactly those listed in the system
 * property {@value #SOURCES_PROPERTY} (comma separated config names); a listed source that is unavailable fails
 * the run rather than letting it pass on fewer sources than asked.
 */
public final class UserpollSocketTestPermutation {
    /** Restricts (and requires) the ring sources the suite runs on, e.g. {@code epoll,io_uring}. */
    public static final String SOURCES_PROPERTY = "userpoll.testsuite.sources";

    static final UserpollSocketTestPermutation INSTANCE = new UserpollSocketTestPermutation();

    private static final int BOSSES = 1;
    private static final int WORKERS = 2;

    private static final List<RingSourceKind> SOURCES = selectSources();
    private static final Map<RingSourceKind, EventLoopGroup> BOSS_GROUPS = new EnumMap<>(RingSourceKind.class);
    private static final Map<RingSourceKind, EventLoopGroup> WORKER_GROUPS = new EnumMap<>(RingSourceKind.class);
    private static final EventLoopGroup NIO_BOSS_GROUP = new MultiThreadIoEventLoopGroup(
            BOSSES, new DefaultThreadFactory("testsuite-nio-boss", true), NioIoHandler.newFactory());
    private static final EventLoopGroup NIO_WORKER_GROUP = new MultiThreadIoEventLoopGroup(
            WORKERS, new DefaultThreadFactory("testsuite-nio-worker", true), NioIoHandler.newFactory());

    static {
        for (RingSourceKind kind : SOURCES) {
            String name = kind.configName().replace('_', '-');
            BOSS_GROUPS.put(kind, new MultiThreadIoEventLoopGroup(BOSSES,
                    new DefaultThreadFactory("testsuite-" + name + "-boss", true), UserpollIoHandler.newFactory(kind)));
            WORKER_GROUPS.put(kind, new MultiThreadIoEventLoopGroup(WORKERS,
                    new DefaultThreadFactory("testsuite-" + name + "-worker", true),
                    UserpollIoHandler.newFactory(kind)));
        }
        // The groups live as long as the test JVM; closing them at exit also unmaps the rings and closes their fds.
        Runtime.getRuntime().addShutdownHook(new Thread(UserpollSocketTestPermutation::shutdownGroups,
                "testsuite-userpoll-shutdown"));
    }

    private UserpollSocketTestPermutation() {
    }

    /** The ring sources every test runs on, in {@link RingSourceKind} order. */
    public static List<RingSourceKind> sources() {
        return SOURCES;
    }

    /** The worker group (two loops) on one ring source, for tests of our own that need a loop. */
    public static EventLoopGroup workerGroup(RingSourceKind kind) {
        EventLoopGroup group = WORKER_GROUPS.get(kind);
        if (group == null) {
            throw new IllegalArgumentException("ring source not in this run: " + kind);
        }
        return group;
    }

    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket() {
        List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> list = new ArrayList<>();
        BootstrapFactory<ServerBootstrap> nioServer = nioServer();
        BootstrapFactory<Bootstrap> nioClient = nioClient();
        for (RingSourceKind kind : SOURCES) {
            BootstrapFactory<ServerBootstrap> server = server(kind);
            BootstrapFactory<Bootstrap> client = client(kind);
            list.add(combo(server, client));
            list.add(combo(server, nioClient));
            list.add(combo(nioServer, client));
        }
        return list;
    }

    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socketWithFastOpen() {
        return socket();
    }

    public List<BootstrapFactory<ServerBootstrap>> serverSocket() {
        List<BootstrapFactory<ServerBootstrap>> list = new ArrayList<>();
        for (RingSourceKind kind : SOURCES) {
            list.add(server(kind));
        }
        return list;
    }

    public List<BootstrapFactory<Bootstrap>> clientSocket() {
        List<BootstrapFactory<Bootstrap>> list = new ArrayList<>();
        for (RingSourceKind kind : SOURCES) {
            list.add(client(kind));
        }
        return list;
    }

    public List<BootstrapFactory<Bootstrap>> clientSocketWithFastOpen() {
        return clientSocket();
    }

    private static BootstrapFactory<ServerBootstrap> server(RingSourceKind kind) {
        return () -> new ServerBootstrap().group(BOSS_GROUPS.get(kind), WORKER_GROUPS.get(kind))
                .channel(UserpollServerSocketChannel.class);
    }

    private static BootstrapFactory<Bootstrap> client(RingSourceKind kind) {
        return () -> new Bootstrap().group(WORKER_GROUPS.get(kind)).channel(UserpollSocketChannel.class);
    }

    private static BootstrapFactory<ServerBootstrap> nioServer() {
        return () -> new ServerBootstrap().group(NIO_BOSS_GROUP, NIO_WORKER_GROUP)
                .channel(NioServerSocketChannel.class);
    }

    private static BootstrapFactory<Bootstrap> nioClient() {
        return () -> new Bootstrap().group(NIO_WORKER_GROUP).channel(NioSocketChannel.class);
    }

    private static BootstrapComboFactory<ServerBootstrap, Bootstrap> combo(
            BootstrapFactory<ServerBootstrap> server, BootstrapFactory<Bootstrap> client) {
        return new BootstrapComboFactory<ServerBootstrap, Bootstrap>() {
            @Override
            public ServerBootstrap newServerInstance() {
                return server.newInstance();
            }

            @Override
            public Bootstrap newClientInstance() {
                return client.newInstance();
            }
        };
    }

    private static List<RingSourceKind> selectSources() {
        String requested = System.getProperty(SOURCES_PROPERTY, "").trim();
        List<RingSourceKind> sources = new ArrayList<>();
        if (requested.isEmpty()) {
            for (RingSourceKind kind : RingSourceKind.values()) {
                if (kind.isAvailable()) {
                    sources.add(kind);
                } else {
                    System.out.println("[testsuite] ring source " + kind.configName() + " skipped: "
                            + kind.unavailabilityCause());
                }
            }
        } else {
            for (String name : requested.split(",")) {
                RingSourceKind kind = RingSourceKind.fromConfigName(name);
                Throwable cause = kind.unavailabilityCause();
                if (cause != null) {
                    throw new IllegalStateException(SOURCES_PROPERTY + " asks for " + kind.configName()
                            + ", which is unavailable here", cause);
                }
                if (!sources.contains(kind)) {
                    sources.add(kind);
                }
            }
            Collections.sort(sources);
        }
        if (sources.isEmpty()) {
            // An empty permutation would run no combination and pass: refuse it.
            throw new IllegalStateException("no ring source available; the test suite would test nothing");
        }
        StringBuilder names = new StringBuilder();
        for (RingSourceKind kind : sources) {
            names.append(names.length() == 0 ? "" : ", ").append(kind.configName());
        }
        System.out.println("[testsuite] ring sources under test: " + names);
        return Collections.unmodifiableList(sources);
    }

    private static void shutdownGroups() {
        List<EventLoopGroup> groups = new ArrayList<>(BOSS_GROUPS.values());
        groups.addAll(WORKER_GROUPS.values());
        groups.add(NIO_BOSS_GROUP);
        groups.add(NIO_WORKER_GROUP);
        for (EventLoopGroup group : groups) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
        }
        for (EventLoopGroup group : groups) {
            group.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }
}
