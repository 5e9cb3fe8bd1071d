package dev.userpoll.transport.ring;

/** Receives the events that {@link RingSource#drain} delivers. */
@FunctionalInterface
public interface ReadyHandler {
    /** {@code events} are the ready bits (epoll/poll numbering) for the registration of {@code token}. */
    void ready(long token, int events);
}
