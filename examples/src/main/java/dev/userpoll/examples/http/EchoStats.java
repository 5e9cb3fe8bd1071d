package dev.userpoll.examples.http;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Counters and per-request latencies, shared by the client's connections (each writes its own slots). */
final class EchoStats {
    private static final int KEPT_ERRORS = 10;

    /** Latency of request {@code id} in nanoseconds, or -1 until it succeeds. */
    private final long[] latencies;
    private final AtomicInteger ok = new AtomicInteger();
    private final AtomicInteger mismatches = new AtomicInteger();
    private final AtomicInteger errors = new AtomicInteger();
    private final List<String> firstErrors = new ArrayList<>();

    EchoStats(int requests) {
        latencies = new long[requests];
        java.util.Arrays.fill(latencies, -1);
    }

    void success(int id, long nanos) {
        latencies[id] = nanos;
        ok.incrementAndGet();
    }

    void mismatch(String what) {
        mismatches.incrementAndGet();
        error(what);
    }

    void error(String what) {
        errors.incrementAndGet();
        synchronized (firstErrors) {
            if (firstErrors.size() < KEPT_ERRORS) {
                firstErrors.add(what);
            }
        }
    }

    int ok() {
        return ok.get();
    }

    int mismatches() {
        return mismatches.get();
    }

    int errorCount() {
        return errors.get();
    }

    List<String> firstErrors() {
        synchronized (firstErrors) {
            return new ArrayList<>(firstErrors);
        }
    }

    /** Latencies of the requests that succeeded (read after every connection is done). */
    long[] latencies() {
        return java.util.Arrays.stream(latencies).filter(l -> l >= 0).toArray();
    }
}
