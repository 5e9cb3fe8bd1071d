package dev.userpoll.transport.internal;

import io.netty.util.internal.SystemPropertyUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The one place the transport reads its settings: a system property named {@code userpoll.*}, else the
 * environment variable beside it, else the caller's default. Not API: the names are documented in the
 * README and on {@code UserpollIoHandlerConfig}, {@code TransportSelector} and {@code UserpollRing}; parsing stays
 * with them.
 */
public final class UserpollProperties {
    public static final String TRANSPORT = "userpoll.transport";
    public static final String TRANSPORT_ENV = "USERPOLL_TRANSPORT";
    public static final String RING_SOURCE = "userpoll.ringSource";
    public static final String RING_SOURCE_ENV = "USERPOLL_RING_SOURCE";
    public static final String IDLE_SPIN = "userpoll.idleSpin";
    public static final String IDLE_SPIN_ENV = "USERPOLL_IDLE_SPIN";
    public static final String IO_SUBMITTER = "userpoll.ioSubmitter";
    public static final String IO_SUBMITTER_ENV = "USERPOLL_IO_SUBMITTER";
    public static final String RING_SIZE = "userpoll.ringSize";
    public static final String RING_SIZE_ENV = "USERPOLL_RING_SIZE";
    public static final String BATCH_PARK_WINDOW_MICROS = "userpoll.batch.parkWindowMicros";
    public static final String BATCH_PARK_WINDOW_MICROS_ENV = "USERPOLL_BATCH_PARK_WINDOW_MICROS";
    public static final String BATCH_ENTRIES = "userpoll.batch.entries";
    public static final String BATCH_ENTRIES_ENV = "USERPOLL_BATCH_ENTRIES";
    public static final String IO_URING_SETUP_FLAGS = "userpoll.ioUring.setupFlags";
    public static final String IO_URING_SETUP_FLAGS_ENV = "USERPOLL_IO_URING_SETUP_FLAGS";
    public static final String IO_URING_REGISTER_RING_FD = "userpoll.ioUring.registerRingFd";
    public static final String IO_URING_REGISTER_RING_FD_ENV = "USERPOLL_IO_URING_REGISTER_RING_FD";
    /** Diagnostics for kernels carrying EPOLL_USERPOLL: the {@code epoll_create2} number, and its ring protocol. */
    public static final String EPOLL_CREATE2_SYSCALL = "userpoll.epollCreate2.syscall";
    public static final String EPOLL_CREATE2_SYSCALL_ENV = "USERPOLL_EPOLL_CREATE2_SYSCALL";
    public static final String EPOLL_CREATE2_PROTOCOL = "userpoll.epollCreate2.protocol";
    public static final String EPOLL_CREATE2_PROTOCOL_ENV = "USERPOLL_EPOLL_CREATE2_PROTOCOL";

    private final Function<String, String> properties;
    private final Function<String, String> environment;

    /** Settings from the given lookups (tests pass maps, so they never touch the JVM's own properties). */
    public UserpollProperties(Function<String, String> properties, Function<String, String> environment) {
        this.properties = properties;
        this.environment = environment;
    }

    /**
     * This JVM's system properties and environment, read on every call: a property set after start-up (a test,
     * an application that configures itself first) is seen by the next loop built.
     */
    public static UserpollProperties system() {
        return new UserpollProperties(SystemPropertyUtil::get, System::getenv);
    }

    /** The setting, or {@code null} when neither the property nor the variable is set (blank counts as unset). */
    public Setting get(String property, String env) {
        String v = properties.apply(property);
        if (v != null && !v.isBlank()) {
            return new Setting("system property " + property, v);
        }
        v = env == null ? null : environment.apply(env);
        if (v != null && !v.isBlank()) {
            return new Setting("environment variable " + env, v);
        }
        return null;
    }

    /** The setting, else {@code defaultValue} (reported as coming from the default). */
    public Setting get(String property, String env, String defaultValue) {
        Setting s = get(property, env);
        return s != null ? s : new Setting("default", defaultValue);
    }

    /** A setting's value and where it came from, so an error can name what to fix. */
    public static final class Setting {
        private final String origin;
        private final String value;

        public Setting(String origin, String value) {
            this.origin = origin;
            this.value = value;
        }

        public String value() {
            return value;
        }

        /** The comma (or space) separated entries of the value, empty ones dropped. */
        public List<String> entries() {
            List<String> out = new ArrayList<>();
            for (String s : value.split("[,\\s]+")) {
                if (!s.isEmpty()) {
                    out.add(s);
                }
            }
            return out;
        }

        /** The value as {@code true} or {@code false} (any case), else an error naming the setting. */
        public boolean booleanValue() {
            String v = value.trim();
            if ("true".equalsIgnoreCase(v)) {
                return true;
            }
            if ("false".equalsIgnoreCase(v)) {
                return false;
            }
            throw new IllegalArgumentException("invalid value " + this + "; expected true or false");
        }

        /** The value as a whole number in {@code [min, max]}, else an error naming the setting and the range. */
        public int intValue(int min, int max) {
            long n;
            try {
                n = Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                n = Long.MIN_VALUE;
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException("invalid value " + this + "; expected a whole number from "
                        + min + " to " + max);
            }
            return (int) n;
        }

        @Override
        public String toString() {
            return "'" + value + "' (" + origin + ')';
        }
    }
}
