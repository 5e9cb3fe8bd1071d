package dev.userpoll.transport;

import dev.userpoll.transport.internal.UserpollProperties.Setting;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an idle event loop does before it sleeps: spin on the ring for a while (plain loads, no system
 * call, so cheap to watch) and then park in the kernel. Spinning trades a core for latency; the
 * default is to park at once.
 */
public final class IdlePolicy {
    /** Park as soon as there is nothing to do. */
    public static final IdlePolicy PARK = new IdlePolicy(0);

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ns|us|\u00b5s|ms|s)");

    private final long spinNanos;

    private IdlePolicy(long spinNanos) {
        this.spinNanos = spinNanos;
    }

    /** Spin on the ring for up to {@code spin} before parking; zero means {@link #PARK}. */
    public static IdlePolicy spinThenPark(Duration spin) {
        long nanos = spin.toNanos();
        if (nanos < 0) {
            throw new IllegalArgumentException("negative spin: " + spin);
        }
        return nanos == 0 ? PARK : new IdlePolicy(nanos);
    }

    /**
     * A setting's policy: {@code 0} or {@code park}, or a whole number with a unit ({@code ns}, {@code us},
     * {@code ms}, {@code s}) to spin that long first.
     */
    static IdlePolicy parse(Setting setting) {
        String v = setting.value().trim().toLowerCase(Locale.ROOT);
        if ("0".equals(v) || "park".equals(v)) {
            return PARK;
        }
        Matcher m = DURATION.matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid idle spin " + setting
                    + "; expected 0, park, or a duration such as 50us or 1ms (units ns, us, ms, s)");
        }
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("idle spin " + setting + " is too large");
        }
        switch (m.group(2)) {
            case "ns":
                return spinThenPark(Duration.ofNanos(n));
            case "ms":
                return spinThenPark(Duration.ofMillis(n));
            case "s":
                return spinThenPark(Duration.ofSeconds(n));
            default:
                return spinThenPark(Duration.ofNanos(Math.multiplyExact(n, 1000L)));
        }
    }

    /** How long to spin before parking, in nanoseconds. */
    public long spinNanos() {
        return spinNanos;
    }

    @Override
    public String toString() {
        return spinNanos == 0 ? "park" : "spin " + spinNanos / 1000 + " us, then park";
    }
}
