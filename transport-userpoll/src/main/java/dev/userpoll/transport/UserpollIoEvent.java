package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.IoEvent;

/**
 * What a handle is told: the readiness bits reported for it since it was last served ({@code 0} when
 * it is served from the ready list: nothing new, carry on from where it stopped). Instances are
 * shared and cached per bit combination, so delivering an event never allocates.
 */
final class UserpollIoEvent implements IoEvent {
    private static final int[] BITS = {
        Native.EPOLLIN, Native.EPOLLOUT, Native.EPOLLERR, Native.EPOLLHUP, Native.EPOLLRDHUP
    };
    private static final UserpollIoEvent[] CACHE = new UserpollIoEvent[1 << BITS.length];

    static {
        for (int i = 0; i < CACHE.length; i++) {
            int events = 0;
            for (int b = 0; b < BITS.length; b++) {
                if ((i & (1 << b)) != 0) {
                    events |= BITS[b];
                }
            }
            CACHE[i] = new UserpollIoEvent(events);
        }
    }

    /** The event of a handle served from the ready list. */
    public static final UserpollIoEvent RETRY = CACHE[0];

    private final int events;

    private UserpollIoEvent(int events) {
        this.events = events;
    }

    static UserpollIoEvent of(int events) {
        int index = 0;
        for (int b = 0; b < BITS.length; b++) {
            if ((events & BITS[b]) != 0) {
                index |= 1 << b;
            }
        }
        return CACHE[index];
    }

    /** The ready bits (epoll numbering: {@code EPOLLIN}, {@code EPOLLOUT}, ...). */
    public int events() {
        return events;
    }

    public boolean isReadable() {
        return (events & Native.EPOLLIN) != 0;
    }

    public boolean isWritable() {
        return (events & Native.EPOLLOUT) != 0;
    }

    public boolean isReadHangup() {
        return (events & Native.EPOLLRDHUP) != 0;
    }

    public boolean isHangup() {
        return (events & Native.EPOLLHUP) != 0;
    }

    public boolean isError() {
        return (events & Native.EPOLLERR) != 0;
    }

    static String describe(int events) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"IN", "OUT", "ERR", "HUP", "RDHUP"};
        for (int b = 0; b < BITS.length; b++) {
            if ((events & BITS[b]) != 0) {
                sb.append(sb.length() == 0 ? "" : "|").append(names[b]);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    @Override
    public String toString() {
        return "UserpollIoEvent(" + describe(events) + ')';
    }
}
