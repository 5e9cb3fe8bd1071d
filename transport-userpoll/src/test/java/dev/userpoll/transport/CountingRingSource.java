package dev.userpoll.transport;

import dev.userpoll.transport.ring.LoopCounters;
import dev.userpoll.transport.ring.ReadyHandler;
import dev.userpoll.transport.ring.RingSource;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/** A ring source that counts what the loop asks of the kernel side: registrations and removals (tests override to refuse). */
class CountingRingSource implements RingSource {
    final RingSource delegate;
    final AtomicInteger registers = new AtomicInteger();
    final AtomicInteger deregisters = new AtomicInteger();
    final AtomicInteger parks = new AtomicInteger();

    CountingRingSource(RingSource delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void register(int fd, int events, long token) throws IOException {
        registers.incrementAndGet();
        delegate.register(fd, events, token);
    }

    @Override
    public void deregister(int fd) throws IOException {
        deregisters.incrementAndGet();
        delegate.deregister(fd);
    }

    @Override
    public int drain(ReadyHandler handler) {
        return delegate.drain(handler);
    }

    @Override
    public boolean hasReady() {
        return delegate.hasReady();
    }

    @Override
    public void park(long timeoutNanos) throws IOException {
        parks.incrementAndGet();
        delegate.park(timeoutNanos);
    }

    @Override
    public LoopCounters counters() {
        return delegate.counters();
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
