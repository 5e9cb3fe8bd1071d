package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollDomainSocketChannel;
import dev.userpoll.transport.UserpollServerDomainSocketChannel;
import dev.userpoll.transport.UserpollServerSocketChannel;
import dev.userpoll.transport.UserpollSocketChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Netty's socket test permutation for our channels, the way Netty's epoll module builds its own (it stands
 * alone rather than extending {@code SocketTestPermutation}, whose instances start NIO and OIO groups of their own).
 *
 * <p>Every test class runs once per ring source this machine has ({@link EveryRingSource}), and a socket test then
 * runs three combinations on that source: our server with our client, our server with a NIO client, and a NIO
 * server with our client (ours with ours only, on userpoll over the emulated kernel: see
 * {@link TestRingSources.Source#pairsWithNio()}). NIO with NIO tests only Netty and is left out, as Netty's epoll module leaves it out; so is
 * a server on one ring source with a client on another: the NIO pairs already put a foreign event loop on the other
 * end, and the cross product would double the run time. Client-only and server-only tests run our channel against
 * the plain {@code java.net} peer the test brings. Each loop group is created once, on first use, and shut down
 * when the JVM exits.
 *
 * <p>The sources are every real ring source this machine has plus userpoll over the emulated kernel (v3 and v5),
 * see {@link TestRingSources}, or exactly those listed in the system
 * property {@value #SOURCES_PROPERTY} (comma separated config names); a listed source that is unavailable fails
 * the run rather than letting it pass on fewer sources than asked.
 */
public final class UserpollSocketTestPermutation {
    /** Restricts (and requires) the ring sources the suite runs on, e.g. {@code epoll,io_uring}. */
    public static final String SOURCES_PROPERTY = "userpoll.testsuite.sources";

    static final UserpollSocketTestPermutation INSTANCE = new UserpollSocketTestPermutation();

    private static final int BOSSES = 1;
    private static final int WORKERS = 2;

    private static final List<TestRingSources.Source> SOURCES = selectSources();
    private static final Map<TestRingSources.Source, EventLoopGroup> BOSS_GROUPS = new LinkedHashMap<>();
    private static final Map<TestRingSources.Source, EventLoopGroup> WORKER_GROUPS = new LinkedHashMap<>();
    private static final EventLoopGroup NIO_BOSS_GROUP = new MultiThreadIoEventLoopGroup(
            BOSSES, new DefaultThreadFactory("testsuite-nio-boss", true), NioIoHandler.newFactory());
    private static final EventLoopGroup NIO_WORKER_GROUP = new MultiThreadIoEventLoopGroup(
            WORKERS, new DefaultThreadFactory("testsuite-nio-worker", true), NioIoHandler.newFactory());

    static {
        for (TestRingSources.Source source : SOURCES) {
            String name = source.toString().replace('_', '-');
            BOSS_GROUPS.put(source, new MultiThreadIoEventLoopGroup(BOSSES,
                    new DefaultThreadFactory("testsuite-" + name + "-boss", true), source.ioHandlerFactory()));
            WORKER_GROUPS.put(source, new MultiThreadIoEventLoopGroup(WORKERS,
                    new DefaultThreadFactory("testsuite-" + name + "-worker", true), source.ioHandlerFactory()));
        }
        // The groups live as long as the test JVM; closing them at exit also unmaps the rings and closes their fds.
        Runtime.getRuntime().addShutdownHook(new Thread(UserpollSocketTestPermutation::shutdownGroups,
                "testsuite-userpoll-shutdown"));
    }

    private UserpollSocketTestPermutation() {
    }

    /** The ring sources every test runs on, in {@link TestRingSources#all()} order. */
    public static List<TestRingSources.Source> sources() {
        return SOURCES;
    }

    /**
     * The ring sources of the TLS classes over Unix-domain sockets: one with the direct submitter and one batched,
     * on different kinds ({@code io_uring} and {@code epoll+batched} where both run), out of those under test. TLS
     * adds nothing source-specific above the bytes the plain echo classes already prove on every source, and eight
     * sources of SSL echo alone would take four minutes of the test command's budget.
     */
    public static List<TestRingSources.Source> tlsSources() {
        List<TestRingSources.Source> picked = new ArrayList<>();
        for (String name : new String[] {"io_uring", "epoll+batched", "epoll", "io_uring+batched"}) {
            for (TestRingSources.Source source : SOURCES) {
                if (source.toString().equals(name) && picked.size() < 2
                        && picked.stream().noneMatch(p -> p.submitter() == source.submitter())) {
                    picked.add(source);
                }
            }
        }
        if (picked.isEmpty()) {
            picked.add(SOURCES.get(0)); // a run restricted to emulated sources: the first of them
        }
        return Collections.unmodifiableList(picked);
    }

    /** The worker group (two loops) on one ring source, for tests of our own that need a loop. */
    public static EventLoopGroup workerGroup(TestRingSources.Source kind) {
        checkInRun(kind);
        return WORKER_GROUPS.get(kind);
    }

    /**
     * Socket tests on one ring source: our server with our client and, where the source
     * {@linkplain TestRingSources.Source#pairsWithNio() pairs with NIO}, our server with a NIO client and a NIO
     * server with our client (NIO with NIO tests only Netty).
     */
    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> socket(TestRingSources.Source kind) {
        List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> list = new ArrayList<>();
        list.add(combo(server(kind), client(kind)));
        if (kind.pairsWithNio()) {
            list.add(combo(server(kind), nioClient()));
            list.add(combo(nioServer(), client(kind)));
        }
        return list;
    }

    /** Server-only tests on one ring source: our server channel against the test's own peer. */
    public List<BootstrapFactory<ServerBootstrap>> serverSocket(TestRingSources.Source kind) {
        return Collections.singletonList(server(kind));
    }

    /** Client-only tests on one ring source: our client channel against the test's own peer. */
    public List<BootstrapFactory<Bootstrap>> clientSocket(TestRingSources.Source kind) {
        return Collections.singletonList(client(kind));
    }

    /**
     * Unix-domain socket tests on one ring source: our domain server with our domain client (NIO has no domain
     * stream channel of Netty's kind, and Netty's epoll module runs its own with its own only).
     */
    public List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> domainSocket(TestRingSources.Source kind) {
        return Collections.singletonList(combo(domainServer(kind), domainClient(kind)));
    }

    /** Server-only Unix-domain tests on one ring source: our domain server against the test's own peer. */
    public List<BootstrapFactory<ServerBootstrap>> serverDomainSocket(TestRingSources.Source kind) {
        return Collections.singletonList(domainServer(kind));
    }

    /** A fresh socket path in the temporary directory (short enough for {@code sun_path}); nothing is created. */
    public static DomainSocketAddress newDomainSocketAddress() {
        try {
            File file;
            do {
                file = File.createTempFile("userpoll", ".sock");
                if (!file.delete()) {
                    throw new IOException("could not delete " + file);
                }
            } while (file.getAbsolutePath().length() > 100);
            return new DomainSocketAddress(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh name in Linux's abstract namespace (a leading NUL: nothing appears in the file system). */
    public static DomainSocketAddress newAbstractDomainSocketAddress() {
        return new DomainSocketAddress("\0userpoll-" + UUID.randomUUID());
    }

    private static BootstrapFactory<ServerBootstrap> domainServer(TestRingSources.Source kind) {
        checkInRun(kind);
        ChannelFactory<ServerChannel> factory = named(
                UserpollServerDomainSocketChannel::new, "UserpollServerDomainSocketChannel on " + kind);
        return () -> new ServerBootstrap().group(BOSS_GROUPS.get(kind), WORKER_GROUPS.get(kind))
                .channelFactory(factory);
    }

    private static BootstrapFactory<Bootstrap> domainClient(TestRingSources.Source kind) {
        checkInRun(kind);
        ChannelFactory<Channel> factory = named(
                UserpollDomainSocketChannel::new, "UserpollDomainSocketChannel on " + kind);
        return () -> new Bootstrap().group(WORKER_GROUPS.get(kind)).channelFactory(factory);
    }

    private static BootstrapFactory<ServerBootstrap> server(TestRingSources.Source kind) {
        checkInRun(kind);
        ChannelFactory<ServerChannel> factory = named(
                UserpollServerSocketChannel::new, "UserpollServerSocketChannel on " + kind);
        return () -> new ServerBootstrap().group(BOSS_GROUPS.get(kind), WORKER_GROUPS.get(kind))
                .channelFactory(factory);
    }

    private static BootstrapFactory<Bootstrap> client(TestRingSources.Source kind) {
        checkInRun(kind);
        ChannelFactory<Channel> factory = named(
                UserpollSocketChannel::new, "UserpollSocketChannel on " + kind);
        return () -> new Bootstrap().group(WORKER_GROUPS.get(kind)).channelFactory(factory);
    }

    private static BootstrapFactory<ServerBootstrap> nioServer() {
        ChannelFactory<ServerChannel> factory = named(NioServerSocketChannel::new, "NioServerSocketChannel");
        return () -> new ServerBootstrap().group(NIO_BOSS_GROUP, NIO_WORKER_GROUP).channelFactory(factory);
    }

    private static BootstrapFactory<Bootstrap> nioClient() {
        ChannelFactory<Channel> factory = named(NioSocketChannel::new, "NioSocketChannel");
        return () -> new Bootstrap().group(NIO_WORKER_GROUP).channelFactory(factory);
    }

    /** The NIO worker group (two loops) the NIO side of a mixed combination runs on. */
    static EventLoopGroup nioWorkerGroup() {
        return NIO_WORKER_GROUP;
    }

    static void checkInRun(TestRingSources.Source kind) {
        if (!WORKER_GROUPS.containsKey(kind)) {
            throw new IllegalArgumentException("ring source not in this run: " + kind);
        }
    }

    /** A channel factory whose name is what the suite's "Running: ..." log line shows for the combination. */
    static <C extends Channel> ChannelFactory<C> named(Supplier<C> constructor, String name) {
        return new ChannelFactory<C>() {
            @Override
            public C newChannel() {
                return constructor.get();
            }

            @Override
            public String toString() {
                return name;
            }
        };
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

    private static List<TestRingSources.Source> selectSources() {
        String requested = System.getProperty(SOURCES_PROPERTY, "").trim();
        List<TestRingSources.Source> all = TestRingSources.all().collect(java.util.stream.Collectors.toList());
        List<TestRingSources.Source> sources = new ArrayList<>();
        if (requested.isEmpty()) {
            for (TestRingSources.Source source : all) {
                Throwable cause = source.unavailabilityCause();
                if (cause == null) {
                    sources.add(source);
                } else {
                    System.out.println("[testsuite] ring source " + source + " skipped: " + cause);
                }
            }
        } else {
            for (String name : requested.split(",")) {
                TestRingSources.Source source = all.stream().filter(s -> s.toString().equals(name.trim()))
                        .findFirst().orElseThrow(() -> new IllegalArgumentException(SOURCES_PROPERTY
                                + ": unknown ring source '" + name + "'; valid: " + all));
                Throwable cause = source.unavailabilityCause();
                if (cause != null) {
                    throw new IllegalStateException(SOURCES_PROPERTY + " asks for " + source
                            + ", which is unavailable here", cause);
                }
                if (!sources.contains(source)) {
                    sources.add(source);
                }
            }
        }
        if (sources.isEmpty()) {
            // An empty permutation would run no combination and pass: refuse it.
            throw new IllegalStateException("no ring source available; the test suite would test nothing");
        }
        System.out.println("[testsuite] ring sources under test: " + sources);
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
