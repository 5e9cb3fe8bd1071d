package dev.userpoll.transport.ring;

import java.io.IOException;

/** Placeholder: being written. */
public final class IoUringPollRing implements RingSource {
    static Throwable probe() {
        return new UnsupportedOperationException("IoUringPollRing is not implemented yet");
    }

    public IoUringPollRing(int ringSize) throws IOException {
        throw new UnsupportedOperationException("IoUringPollRing is not implemented yet");
    }

    @Override public RingSourceKind kind() { throw new UnsupportedOperationException(); }
    @Override public void register(int fd, int events, long token) { throw new UnsupportedOperationException(); }
    @Override public void deregister(int fd) { throw new UnsupportedOperationException(); }
    @Override public int drain(ReadyHandler handler) { throw new UnsupportedOperationException(); }
    @Override public boolean hasReady() { return false; }
    @Override public void park(long timeoutNanos) { throw new UnsupportedOperationException(); }
    @Override public void wakeup() { }
    @Override public void close() { }
}
