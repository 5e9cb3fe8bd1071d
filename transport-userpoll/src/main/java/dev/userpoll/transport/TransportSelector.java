package dev.userpoll.transport;

import dev.userpoll.transport.NettyNativeTransports.NettyEpoll;
import dev.userpoll.transport.NettyNativeTransports.NettyIoUring;
import dev.userpoll.transport.SelectedTransport.Skipped;
import dev.userpoll.transport.internal.UserpollProperties;
import dev.userpoll.transport.internal.UserpollProperties.Setting;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Chooses a transport from an ordered preference, so that one setting moves a server between this
 * transport (on any ring source) and Netty's own (epoll, io_uring, NIO).
 * <pre>{@code
 * SelectedTransport t = TransportSelector.select();   // userpoll.transport / USERPOLL_TRANSPORT / default
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(t.ioHandlerFactory());
 * new ServerBootstrap().group(group).channel(t.serverChannelClass())...
 * }</pre>
 *
 * <p>Preference entries (comma separated, case-insensitive, first available wins):
 * <ul>
 *   <li>{@code userpoll}: this transport, on the first available ring source of the ring-source setting
 *       (by default {@code userpoll,io_uring,epoll});</li>
 *   <li>{@code userpoll:userpoll}, {@code userpoll:io_uring}, {@code userpoll:epoll}: this transport on
 *       that ring source;</li>
 *   <li>{@code netty-epoll}, {@code netty-io_uring}: Netty's native transports, when their jars are on
 *       the class path;</li>
 *   <li>{@code nio}: Netty's NIO transport, always available.</li>
 * </ul>
 *
 * <p>Each setting is read from a system property, else an environment variable, else its default:
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>property</th><th>environment</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@value #TRANSPORT_PROPERTY}</td><td>{@value #TRANSPORT_ENV}</td><td>{@value #DEFAULT_TRANSPORTS}</td>
 *       <td>the preference</td></tr>
 *   <tr><td>{@value #RING_SOURCE_PROPERTY}</td><td>{@value #RING_SOURCE_ENV}</td><td>{@value #DEFAULT_RING_SOURCES}</td>
 *       <td>ring sources a plain {@code userpoll} entry tries, in order</td></tr>
 *   <tr><td>{@value #IDLE_SPIN_PROPERTY}</td><td>{@value #IDLE_SPIN_ENV}</td><td>{@code 0}</td>
 *       <td>how long an idle loop spins before parking: {@code 0}/{@code park}, or e.g. {@code 50us}, {@code 1ms}</td></tr>
 *   <tr><td>{@value #IO_SUBMITTER_PROPERTY}</td><td>{@value #IO_SUBMITTER_ENV}</td>
 *       <td>{@value #DEFAULT_IO_SUBMITTERS}</td><td>how the channels read and write ({@link IoSubmitter}):
 *       {@code batched} and/or {@code direct}, first available wins</td></tr>
 *   <tr><td>{@value #RING_SIZE_PROPERTY}</td><td>{@value #RING_SIZE_ENV}</td><td>4096</td>
 *       <td>ring entries per loop</td></tr>
 * </table>
 * The loops of a chosen {@code userpoll} entry take the rest of their configuration from the same settings
 * ({@link UserpollIoHandlerConfig#fromSystemProperties()}: park window, batch entries, io_uring setup flags).
 * An unknown or malformed value is an {@link IllegalArgumentException} naming the setting and the
 * valid values, never a silent fallback. Unavailable entries are skipped with their cause; the choice
 * and the skipped entries are logged once, at INFO.
 */
public final class TransportSelector {
    /** The transports to try, in order (a comma list): {@code userpoll.transport}. */
    public static final String TRANSPORT_PROPERTY = UserpollProperties.TRANSPORT;
    /** {@link #TRANSPORT_PROPERTY} as an environment variable, read when the property is not set. */
    public static final String TRANSPORT_ENV = UserpollProperties.TRANSPORT_ENV;
    /** The ring sources to try, in order: {@code userpoll.ringSource}. */
    public static final String RING_SOURCE_PROPERTY = UserpollProperties.RING_SOURCE;
    /** {@link #RING_SOURCE_PROPERTY} as an environment variable. */
    public static final String RING_SOURCE_ENV = UserpollProperties.RING_SOURCE_ENV;
    /** How long an idle loop spins before it parks ({@code 0}, {@code 50us}, ...): {@code userpoll.idleSpin}. */
    public static final String IDLE_SPIN_PROPERTY = UserpollProperties.IDLE_SPIN;
    /** {@link #IDLE_SPIN_PROPERTY} as an environment variable. */
    public static final String IDLE_SPIN_ENV = UserpollProperties.IDLE_SPIN_ENV;
    /** The I/O submitters to try, in order: {@code userpoll.ioSubmitter}. */
    public static final String IO_SUBMITTER_PROPERTY = UserpollProperties.IO_SUBMITTER;
    /** {@link #IO_SUBMITTER_PROPERTY} as an environment variable. */
    public static final String IO_SUBMITTER_ENV = UserpollProperties.IO_SUBMITTER_ENV;
    /** Ring entries per loop: {@code userpoll.ringSize}. */
    public static final String RING_SIZE_PROPERTY = UserpollProperties.RING_SIZE;
    /** {@link #RING_SIZE_PROPERTY} as an environment variable. */
    public static final String RING_SIZE_ENV = UserpollProperties.RING_SIZE_ENV;

    /** This transport first; then Netty's epoll; NIO always works. */
    public static final String DEFAULT_TRANSPORTS = "userpoll,netty-epoll,nio";
    /** The kernel-written rings first; plain epoll works on every Linux. */
    public static final String DEFAULT_RING_SOURCES = "userpoll,io_uring,epoll";
    /** Batched where io_uring allows it (the README's benchmark), else direct. */
    public static final String DEFAULT_IO_SUBMITTERS = "batched,direct";

    /** Every valid preference entry, in the form error messages list them. */
    public static final List<String> VALID_TRANSPORTS = List.of(
            "userpoll", "userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio");

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TransportSelector.class);

    private final UserpollProperties settings;
    private final ClassLoader classLoader;

    TransportSelector(Function<String, String> properties, Function<String, String> environment,
                      ClassLoader classLoader) {
        this.settings = new UserpollProperties(properties, environment);
        this.classLoader = classLoader;
    }

    /** Chooses from the configured preference (system property, else environment, else the default). */
    public static SelectedTransport select() {
        return select(null);
    }

    /**
     * Chooses from {@code preference} (for example a command-line flag), or from the configured one
     * when it is {@code null}. Ring source, idle spin and ring size always come from the configuration.
     *
     * @throws IllegalArgumentException when a setting has an unknown or malformed value
     * @throws IllegalStateException    when no entry is available (every cause is attached as suppressed)
     */
    public static SelectedTransport select(String preference) {
        return new TransportSelector(UserpollProperties.system(), TransportSelector.class.getClassLoader())
                .choose(preference);
    }

    private TransportSelector(UserpollProperties settings, ClassLoader classLoader) {
        this.settings = settings;
        this.classLoader = classLoader;
    }

    SelectedTransport choose(String preference) {
        Setting transports = preference != null
                ? new Setting("the given preference", preference)
                : settings.get(TRANSPORT_PROPERTY, TRANSPORT_ENV, DEFAULT_TRANSPORTS);
        List<RingSourceKind> ringSources = UserpollIoHandlerConfig.parseRingSources(
                settings.get(RING_SOURCE_PROPERTY, RING_SOURCE_ENV, DEFAULT_RING_SOURCES));
        UserpollIoHandlerConfig loopConfig = UserpollIoHandlerConfig.tuningFromProperties(settings);
        List<IoSubmitter> submitters = IoSubmitter.parseList(
                settings.get(IO_SUBMITTER_PROPERTY, IO_SUBMITTER_ENV, DEFAULT_IO_SUBMITTERS));
        // Parse the whole list before probing anything: a typo after the winner is still an error.
        Map<String, Candidate> candidates = parseTransports(transports, ringSources, submitters);

        List<Skipped> skipped = new ArrayList<>();
        for (Map.Entry<String, Candidate> e : candidates.entrySet()) {
            String name = e.getKey();
            Throwable cause;
            try {
                cause = e.getValue().unavailabilityCause();
                if (cause == null) {
                    SelectedTransport chosen = e.getValue().create(name, loopConfig, skipped);
                    logChoice(chosen, transports);
                    return chosen;
                }
            } catch (Exception | LinkageError t) {
                cause = t;
            }
            skipped.add(new Skipped(name, cause));
        }
        IllegalStateException failure = new IllegalStateException(
                "no transport of " + transports + " is available: " + skipped);
        for (Skipped s : skipped) {
            failure.addSuppressed(s.cause());
        }
        throw failure;
    }

    private static void logChoice(SelectedTransport chosen, Setting transports) {
        if (chosen.skipped().isEmpty()) {
            logger.info("Transport {} chosen, the first entry of {}.", chosen, transports);
        } else {
            logger.info("Transport {} chosen from {}; skipped {}.", chosen, transports,
                    chosen.skipped().stream().map(Skipped::toString).collect(Collectors.joining(", ")));
        }
    }

    private Map<String, Candidate> parseTransports(Setting setting, List<RingSourceKind> ringSources,
                                                   List<IoSubmitter> submitters) {
        Map<String, Candidate> candidates = new LinkedHashMap<>();
        for (String raw : setting.entries()) {
            String entry = raw.toLowerCase(Locale.ROOT);
            if (entry.startsWith("userpoll:")) {
                RingSourceKind kind;
                try {
                    kind = RingSourceKind.fromConfigName(entry.substring("userpoll:".length()));
                } catch (IllegalArgumentException e) {
                    throw unknownTransport(raw, setting);
                }
                candidates.putIfAbsent(userpollName(kind), userpoll(kind, submitters));
                continue;
            }
            switch (entry) {
                case "userpoll":
                    for (RingSourceKind kind : ringSources) {
                        candidates.putIfAbsent(userpollName(kind), userpoll(kind, submitters));
                    }
                    break;
                case "netty-epoll":
                    candidates.putIfAbsent("netty-epoll", nettyEpoll());
                    break;
                case "netty-io_uring":
                case "netty-io-uring":
                case "netty-iouring":
                    candidates.putIfAbsent("netty-io_uring", nettyIoUring());
                    break;
                case "nio":
                    candidates.putIfAbsent("nio", NIO);
                    break;
                default:
                    throw unknownTransport(raw, setting);
            }
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no transport named in " + setting + "; valid entries: "
                    + String.join(", ", VALID_TRANSPORTS));
        }
        return candidates;
    }

    private static IllegalArgumentException unknownTransport(String entry, Setting setting) {
        String hint = "";
        String e = entry.toLowerCase(Locale.ROOT).replace('-', '_');
        if ("epoll".equals(e) || "io_uring".equals(e) || "iouring".equals(e)) {
            String ring = "epoll".equals(e) ? "epoll" : "io_uring";
            hint = " (Netty's transport is netty-" + ring + "; this transport on that ring source is userpoll:"
                    + ring + ')';
        }
        return new IllegalArgumentException("unknown transport '" + entry + "' in " + setting + hint
                + "; valid entries: " + String.join(", ", VALID_TRANSPORTS));
    }

    /** One-line reason for a log: the message chain, without stack traces. */
    static String describe(Throwable cause) {
        StringBuilder sb = new StringBuilder();
        Throwable t = cause;
        for (int depth = 0; t != null && depth < 4; depth++, t = t.getCause()) {
            String msg = t.getMessage();
            String part = msg == null || msg.isBlank() ? t.getClass().getSimpleName() : msg;
            if (sb.indexOf(part) >= 0) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append(": ");
            }
            sb.append(part);
        }
        return sb.toString();
    }

    private static String userpollName(RingSourceKind kind) {
        return "userpoll:" + kind.configName();
    }

    private boolean onClassPath(String className) {
        try {
            // No initialisation: presence only; Netty's own check decides whether its native code loads.
            Class.forName(className, false, classLoader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static Throwable notOnClassPath(String artifact) {
        return new ClassNotFoundException(artifact + " is not on the class path");
    }

    /** One preference entry after parsing. */
    private interface Candidate {
        /** {@code null} when usable. */
        Throwable unavailabilityCause();

        SelectedTransport create(String name, UserpollIoHandlerConfig loopConfig, List<Skipped> skipped);
    }

    private static Candidate userpoll(RingSourceKind kind, List<IoSubmitter> submitters) {
        return new Candidate() {
            @Override
            public Throwable unavailabilityCause() {
                Throwable cause = Userpoll.unavailabilityCause(kind);
                if (cause == null && submitter() == null) {
                    cause = submitters.get(submitters.size() - 1).unavailabilityCause();
                }
                return cause;
            }

            /** The first available submitter of the setting; a skipped one is logged with its cause. */
            private IoSubmitter submitter() {
                for (IoSubmitter submitter : submitters) {
                    Throwable cause = submitter.unavailabilityCause();
                    if (cause == null) {
                        return submitter;
                    }
                    logger.debug("I/O submitter {} is unavailable: {}", submitter.configName(), cause.toString());
                }
                return null;
            }

            @Override
            public SelectedTransport create(String name, UserpollIoHandlerConfig loopConfig, List<Skipped> skipped) {
                IoSubmitter submitter = submitter();
                UserpollIoHandlerConfig config = loopConfig.copy().setRingSource(kind).setIoSubmitter(submitter);
                return new SelectedTransport(name, kind, config.getIdlePolicy(), submitter,
                        UserpollIoHandler.newFactory(config),
                        USERPOLL_CHANNELS, skipped);
            }
        };
    }

    private Candidate nettyEpoll() {
        return new Candidate() {
            @Override
            public Throwable unavailabilityCause() {
                return onClassPath(NettyEpoll.PROBE_CLASS)
                        ? NettyEpoll.unavailabilityCause() : notOnClassPath(NettyEpoll.ARTIFACT);
            }

            @Override
            public SelectedTransport create(String name, UserpollIoHandlerConfig loopConfig, List<Skipped> skipped) {
                return new SelectedTransport(name, null, null, null, NettyEpoll.ioHandlerFactory(),
                        NettyEpoll.channelClasses(), skipped);
            }
        };
    }

    private Candidate nettyIoUring() {
        return new Candidate() {
            @Override
            public Throwable unavailabilityCause() {
                return onClassPath(NettyIoUring.PROBE_CLASS)
                        ? NettyIoUring.unavailabilityCause() : notOnClassPath(NettyIoUring.ARTIFACT);
            }

            @Override
            public SelectedTransport create(String name, UserpollIoHandlerConfig loopConfig, List<Skipped> skipped) {
                return new SelectedTransport(name, null, null, null, NettyIoUring.ioHandlerFactory(),
                        NettyIoUring.channelClasses(), skipped);
            }
        };
    }

    /** This transport's channels; a kind it does not offer yet is {@code null}. */
    private static final ChannelClasses USERPOLL_CHANNELS = new ChannelClasses(
            UserpollServerSocketChannel.class, UserpollSocketChannel.class, UserpollDatagramChannel.class,
            UserpollServerDomainSocketChannel.class, UserpollDomainSocketChannel.class,
            UserpollDomainDatagramChannel.class);

    /** NIO's channels: no Unix-domain datagram channel. */
    private static final ChannelClasses NIO_CHANNELS = new ChannelClasses(
            NioServerSocketChannel.class, NioSocketChannel.class, NioDatagramChannel.class,
            NioServerDomainSocketChannel.class, NioDomainSocketChannel.class, null);

    private static final Candidate NIO = new Candidate() {
        @Override
        public Throwable unavailabilityCause() {
            return null;
        }

        @Override
        public SelectedTransport create(String name, UserpollIoHandlerConfig loopConfig, List<Skipped> skipped) {
            return new SelectedTransport(name, null, null, null, NioIoHandler.newFactory(),
                    NIO_CHANNELS, skipped);
        }
    };
}
