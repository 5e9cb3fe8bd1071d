package dev.userpoll.transport;

import dev.userpoll.transport.NettyNativeTransports.NettyEpoll;
import dev.userpoll.transport.NettyNativeTransports.NettyIoUring;
import dev.userpoll.transport.SelectedTransport.Skipped;
import dev.userpoll.transport.ring.RingSourceKind;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * An unknown or malformed value is an {@link IllegalArgumentException} naming the setting and the
 * valid values, never a silent fallback. Unavailable entries are skipped with their cause; the choice
 * and the skipped entries are logged once, at INFO.
 */
public final class TransportSelector {
    public static final String TRANSPORT_PROPERTY = "userpoll.transport";
    public static final String TRANSPORT_ENV = "USERPOLL_TRANSPORT";
    public static final String RING_SOURCE_PROPERTY = "userpoll.ringSource";
    public static final String RING_SOURCE_ENV = "USERPOLL_RING_SOURCE";
    public static final String IDLE_SPIN_PROPERTY = "userpoll.idleSpin";
    public static final String IDLE_SPIN_ENV = "USERPOLL_IDLE_SPIN";
    public static final String IO_SUBMITTER_PROPERTY = IoSubmitter.PROPERTY;
    public static final String IO_SUBMITTER_ENV = "USERPOLL_IO_SUBMITTER";
    public static final String RING_SIZE_PROPERTY = "userpoll.ringSize";
    public static final String RING_SIZE_ENV = "USERPOLL_RING_SIZE";

    /** This transport first; then Netty's epoll; NIO always works. */
    public static final String DEFAULT_TRANSPORTS = "userpoll,netty-epoll,nio";
    public static final String DEFAULT_RING_SOURCES = "userpoll,io_uring,epoll";
    /** Batched where io_uring allows it (the README's benchmark), else direct. */
    public static final String DEFAULT_IO_SUBMITTERS = "batched,direct";

    /** Every valid preference entry, in the form error messages list them. */
    public static final List<String> VALID_TRANSPORTS = List.of(
            "userpoll", "userpoll:userpoll", "userpoll:io_uring", "userpoll:epoll",
            "netty-epoll", "netty-io_uring", "nio");

    private static final InternalLogger logger = InternalLoggerFactory.getInstance(TransportSelector.class);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ns|us|\u00b5s|ms|s)");

    private final Function<String, String> properties;
    private final Function<String, String> environment;
    private final ClassLoader classLoader;

    TransportSelector(Function<String, String> properties, Function<String, String> environment,
                      ClassLoader classLoader) {
        this.properties = properties;
        this.environment = environment;
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
        return new TransportSelector(System::getProperty, System::getenv, TransportSelector.class.getClassLoader())
                .choose(preference);
    }

    SelectedTransport choose(String preference) {
        Setting transports = preference != null
                ? new Setting("the given preference", preference)
                : setting(TRANSPORT_PROPERTY, TRANSPORT_ENV, DEFAULT_TRANSPORTS);
        List<RingSourceKind> ringSources = parseRingSources(
                setting(RING_SOURCE_PROPERTY, RING_SOURCE_ENV, DEFAULT_RING_SOURCES));
        IdlePolicy idlePolicy = parseIdleSpin(setting(IDLE_SPIN_PROPERTY, IDLE_SPIN_ENV, "0"));
        List<IoSubmitter> submitters = parseSubmitters(
                setting(IO_SUBMITTER_PROPERTY, IO_SUBMITTER_ENV, DEFAULT_IO_SUBMITTERS));
        int ringSize = parseRingSize(setting(RING_SIZE_PROPERTY, RING_SIZE_ENV,
                Integer.toString(RingSourceKind.DEFAULT_RING_SIZE)));
        // Parse the whole list before probing anything: a typo after the winner is still an error.
        Map<String, Candidate> candidates = parseTransports(transports, ringSources, submitters);

        List<Skipped> skipped = new ArrayList<>();
        for (Map.Entry<String, Candidate> e : candidates.entrySet()) {
            String name = e.getKey();
            Throwable cause;
            try {
                cause = e.getValue().unavailabilityCause();
                if (cause == null) {
                    SelectedTransport chosen = e.getValue().create(name, ringSize, idlePolicy, skipped);
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

    private Setting setting(String property, String env, String defaultValue) {
        String v = properties.apply(property);
        if (v != null && !v.isBlank()) {
            return new Setting("system property " + property, v);
        }
        v = environment.apply(env);
        if (v != null && !v.isBlank()) {
            return new Setting("environment variable " + env, v);
        }
        return new Setting("default", defaultValue);
    }

    private static List<IoSubmitter> parseSubmitters(Setting setting) {
        List<IoSubmitter> list = new ArrayList<>();
        for (String entry : setting.value.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            try {
                IoSubmitter submitter = IoSubmitter.fromConfigName(entry);
                if (!list.contains(submitter)) {
                    list.add(submitter);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException(setting + ": empty; valid: batched, direct");
        }
        return list;
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

    private static List<RingSourceKind> parseRingSources(Setting setting) {
        List<RingSourceKind> kinds = new ArrayList<>();
        for (String entry : setting.entries()) {
            RingSourceKind kind;
            try {
                kind = RingSourceKind.fromConfigName(entry);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown ring source '" + entry + "' in " + setting
                        + "; valid: userpoll, io_uring, epoll");
            }
            if (!kinds.contains(kind)) {
                kinds.add(kind);
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no ring source named in " + setting + "; valid: userpoll, io_uring, epoll");
        }
        return kinds;
    }

    /** {@code 0} or {@code park}, or a whole number with a unit: {@code ns}, {@code us}, {@code ms}, {@code s}. */
    static IdlePolicy parseIdleSpin(Setting setting) {
        String v = setting.value.trim().toLowerCase(Locale.ROOT);
        if ("0".equals(v) || "park".equals(v)) {
            return IdlePolicy.PARK;
        }
        Matcher m = DURATION.matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid idle spin '" + setting.value + "' in " + setting
                    + "; expected 0, park, or a duration such as 50us or 1ms (units ns, us, ms, s)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("idle spin '" + setting.value + "' in " + setting + " is too large");
        }
        switch (m.group(2)) {
            case "ns":
                return IdlePolicy.spinThenPark(Duration.ofNanos(n));
            case "ms":
                return IdlePolicy.spinThenPark(Duration.ofMillis(n));
            case "s":
                return IdlePolicy.spinThenPark(Duration.ofSeconds(n));
            default:
                return IdlePolicy.spinThenPark(Duration.ofNanos(Math.multiplyExact(n, 1000L)));
        }
    }

    private static int parseRingSize(Setting setting) {
        int size;
        try {
            size = Integer.parseInt(setting.value.trim());
        } catch (NumberFormatException e) {
            size = -1;
        }
        if (size <= 0) {
            throw new IllegalArgumentException("invalid ring size '" + setting.value + "' in " + setting
                    + "; expected a positive whole number of entries, e.g. 4096");
        }
        return size;
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

        SelectedTransport create(String name, int ringSize, IdlePolicy idlePolicy, List<Skipped> skipped);
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
            public SelectedTransport create(String name, int ringSize, IdlePolicy idlePolicy, List<Skipped> skipped) {
                IoSubmitter submitter = submitter();
                return new SelectedTransport(name, kind, idlePolicy, submitter,
                        UserpollIoHandler.newFactory(kind, ringSize, idlePolicy, submitter),
                        UserpollServerSocketChannel.class, UserpollSocketChannel.class, skipped);
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
            public SelectedTransport create(String name, int ringSize, IdlePolicy idlePolicy, List<Skipped> skipped) {
                return new SelectedTransport(name, null, null, null, NettyEpoll.ioHandlerFactory(),
                        NettyEpoll.serverChannelClass(), NettyEpoll.channelClass(), skipped);
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
            public SelectedTransport create(String name, int ringSize, IdlePolicy idlePolicy, List<Skipped> skipped) {
                return new SelectedTransport(name, null, null, null, NettyIoUring.ioHandlerFactory(),
                        NettyIoUring.serverChannelClass(), NettyIoUring.channelClass(), skipped);
            }
        };
    }

    private static final Candidate NIO = new Candidate() {
        @Override
        public Throwable unavailabilityCause() {
            return null;
        }

        @Override
        public SelectedTransport create(String name, int ringSize, IdlePolicy idlePolicy, List<Skipped> skipped) {
            return new SelectedTransport(name, null, null, null, NioIoHandler.newFactory(),
                    NioServerSocketChannel.class, NioSocketChannel.class, skipped);
        }
    };

    /** A setting's value and where it came from, for messages. */
    static final class Setting {
        final String origin;
        final String value;

        Setting(String origin, String value) {
            this.origin = origin;
            this.value = value;
        }

        List<String> entries() {
            List<String> out = new ArrayList<>();
            for (String s : value.split("[,\\s]+")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return "'" + value + "' (" + origin + ')';
        }
    }
}
