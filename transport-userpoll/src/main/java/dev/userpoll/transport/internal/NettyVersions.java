package dev.userpoll.transport.internal;

import io.netty.util.Version;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Netty versions on the class path against the range this transport supports, checked once before the native
 * library registers anything. The JNI library carries its own copy of unix-common's natives (Netty's epoll and
 * io_uring libraries carry theirs) and registers them for {@code io.netty.channel.unix} unless another library
 * already did; the Java side of those natives has kept its signatures across 4.2, so any 4.2.x from the tested
 * minimum works, whichever library registered first. A Netty outside the range makes the transport unavailable with
 * a message naming the versions, before any native code is touched.
 */
public final class NettyVersions {
    private static final InternalLogger logger = InternalLoggerFactory.getInstance(NettyVersions.class);
    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)");
    /** The Netty artifacts whose classes or natives this transport uses directly. */
    private static final String[] CHECKED = {
            "netty-common", "netty-buffer", "netty-transport", "netty-transport-native-unix-common"};

    /** This transport's version, e.g. {@code 0.1.0}. */
    public static final String TRANSPORT_VERSION;
    /** The Netty version this jar was built and tested against. */
    public static final String BUILT_AGAINST;
    /** The oldest Netty 4.2 tested with this jar. */
    public static final String MINIMUM;

    static {
        Properties p = new Properties();
        try (InputStream in = NettyVersions.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignore) {
            // Without the file (a repackaged jar that dropped it) the defaults below still name a version.
        }
        TRANSPORT_VERSION = p.getProperty("version", "unknown");
        BUILT_AGAINST = p.getProperty("netty.version", "4.2.18.Final");
        MINIMUM = p.getProperty("netty.minimum", "4.2.9.Final");
    }

    private NettyVersions() {
    }

    /** Why the Netty on the class path cannot run this transport, or {@code null}. */
    public static Throwable unsupportedCause() {
        return unsupportedCause(found());
    }

    /** The checked artifacts Netty reports ({@link Version#identify()}), artifact to version. */
    public static Map<String, String> found() {
        Map<String, String> found = new TreeMap<>();
        Map<String, Version> all;
        try {
            all = Version.identify(NettyVersions.class.getClassLoader());
        } catch (RuntimeException | LinkageError e) {
            return found;
        }
        for (String artifact : CHECKED) {
            Version v = all.get(artifact);
            if (v != null) {
                found.put(artifact, v.artifactVersion());
            }
        }
        return found;
    }

    /** {@link #unsupportedCause()} for the given artifact versions (tests give their own). */
    static Throwable unsupportedCause(Map<String, String> found) {
        int[] min = parse(MINIMUM);
        StringBuilder bad = new StringBuilder();
        for (Map.Entry<String, String> e : found.entrySet()) {
            int[] v = parse(e.getValue());
            // An unreadable version (a custom build) is left alone: nothing to say about it.
            if (v != null && (v[0] != 4 || v[1] != 2 || v[2] < min[2])) {
                bad.append(bad.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
            }
        }
        if (bad.length() > 0) {
            return new IllegalStateException("netty-transport-userpoll " + TRANSPORT_VERSION + " needs Netty "
                    + MINIMUM + " or a newer 4.2.x (built against " + BUILT_AGAINST + "), but the class path has "
                    + bad + "; align the io.netty versions (for example with io.netty:netty-bom " + BUILT_AGAINST
                    + ')');
        }
        if (found.values().stream().distinct().count() > 1) {
            logger.warn("Netty artifacts of different versions on the class path: {}; netty-transport-userpoll {} "
                    + "runs on them, but Netty expects one version (io.netty:netty-bom aligns them).", found,
                    TRANSPORT_VERSION);
        } else if (logger.isDebugEnabled()) {
            logger.debug("Netty {} (netty-transport-userpoll {} built against {}).", found, TRANSPORT_VERSION,
                    BUILT_AGAINST);
        }
        return null;
    }

    private static int[] parse(String version) {
        Matcher m = VERSION.matcher(version);
        if (!m.find()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
    }
}
