package dev.userpoll.transport.ring;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link ReadyHandler} for tests: records every delivery in order, and optionally passes each one on
 * to an action (which may register, deregister or close fds while the source drains).
 */
final class RingTestRecorder implements ReadyHandler {
    private final List<long[]> deliveries = new ArrayList<>();
    private final Map<Long, Integer> counts = new HashMap<>();
    private final ReadyHandler action;

    RingTestRecorder() {
        this(null);
    }

    RingTestRecorder(ReadyHandler action) {
        this.action = action;
    }

    @Override
    public void ready(long token, int events) {
        deliveries.add(new long[] {token, events});
        counts.merge(token, 1, Integer::sum);
        if (action != null) {
            action.ready(token, events);
        }
    }

    /** How many deliveries there were in all. */
    int size() {
        return deliveries.size();
    }

    /** How many deliveries carried {@code token}. */
    int count(long token) {
        return counts.getOrDefault(token, 0);
    }

    /** How many deliveries carried {@code token} with at least one of {@code bits}. */
    int count(long token, int bits) {
        int n = 0;
        for (long[] d : deliveries) {
            if (d[0] == token && ((int) d[1] & bits) != 0) {
                n++;
            }
        }
        return n;
    }

    /** The union of every event bit delivered for {@code token}. */
    int union(long token) {
        int bits = 0;
        for (long[] d : deliveries) {
            if (d[0] == token) {
                bits |= (int) d[1];
            }
        }
        return bits;
    }

    /** Whether some delivery for {@code token} carried all of {@code bits} (over all its deliveries). */
    boolean has(long token, int bits) {
        return (union(token) & bits) == bits;
    }

    /** How many distinct tokens were delivered. */
    int distinctTokens() {
        return counts.size();
    }

    /** Delivery counts per token. */
    Map<Long, Integer> counts() {
        return counts;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(deliveries.size()).append(" deliveries [");
        int shown = 0;
        for (long[] d : deliveries) {
            if (shown++ == 40) {
                sb.append(", ...");
                break;
            }
            if (shown > 1) {
                sb.append(", ");
            }
            sb.append(d[0]).append(":0x").append(Integer.toHexString((int) d[1]));
        }
        return sb.append(']').toString();
    }
}
