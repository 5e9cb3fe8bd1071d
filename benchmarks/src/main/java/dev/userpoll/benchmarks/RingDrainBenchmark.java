package dev.userpoll.benchmarks;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.ring.ReadyHandler;
import dev.userpoll.transport.ring.RingSource;
import dev.userpoll.transport.ring.RingSources;
import io.netty.util.internal.PlatformDependent;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The consumer side of readiness: what it costs to take N ready events from each ring source, against
 * one {@code epoll_wait} that returns N events.
 * <ul>
 *   <li>{@link #drain}: N registered eventfds were made ready (one write each, outside the measured
 *       time); one {@link RingSource#drain} delivers the N events. For {@code io_uring} (and
 *       {@code userpoll}) that is plain loads from the mmap'd ring; for {@code epoll} it is one
 *       {@code epoll_pwait2}.</li>
 *   <li>{@link #signalThenDrain}: the same with the N writes inside the measured time, so that the
 *       producer's cost (the kernel posting each event) is included; N system calls dominate it.</li>
 *   <li>{@link #epollWaitLevelTriggered}: the baseline, one {@code epoll_wait(timeout 0)} on an epoll set
 *       whose N level-triggered eventfds stay ready, so every call returns N events and nothing has to
 *       make them ready again.</li>
 * </ul>
 * {@code drain} prepares every invocation separately ({@code Level.Invocation}); at N = 1 the timer's
 * own overhead (tens of nanoseconds) is part of the figure, at N >= 16 it is noise.
 * <p>{@code userpoll} needs a kernel with EPOLL_USERPOLL: add {@code -p source=userpoll,io_uring,epoll}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class RingDrainBenchmark {

    /** N eventfds registered with one ring source. */
    @State(Scope.Thread)
    public static class Ring {
        @Param({"io_uring", "epoll"})
        public String source;

        @Param({"1", "16", "64", "256"})
        public int events;

        RingSource ring;
        int[] fds;
        final CountingHandler handler = new CountingHandler();

        @Setup(Level.Trial)
        public void open() throws IOException {
            RingSourceKind kind = RingSourceKind.fromConfigName(source);
            Throwable cause = kind.unavailabilityCause();
            if (cause != null) {
                throw new IllegalStateException("ring source " + source + " is unavailable here: " + cause, cause);
            }
            // Room for every event of one round, so that no source ever has to fall back on overflow handling.
            ring = RingSources.open(kind.configName(), Math.max(64, Integer.highestOneBit(events) * 4), false, null, false);
            fds = newEventFds(events);
            for (int i = 0; i < fds.length; i++) {
                ring.register(fds[i], Native.EPOLLIN, i);
            }
        }

        /** One write per eventfd: each is a new edge, so each source has one event per fd to deliver. */
        void signal() {
            for (int fd : fds) {
                check("eventfd write", Native.eventFdWrite(fd, 1));
            }
        }

        int drainAll() {
            int n = ring.drain(handler);
            if (n != events) {
                throw new IllegalStateException(source + ": drained " + n + " events, expected " + events);
            }
            return n;
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            for (int fd : fds) {
                ring.deregister(fd);
                Native.close(fd);
            }
            ring.close();
        }
    }

    /** {@link Ring} with its eventfds made ready before every invocation, outside the measured time. */
    @State(Scope.Thread)
    public static class ReadyRing extends Ring {
        @Setup(Level.Invocation)
        public void makeReady() {
            signal();
        }
    }

    /** An epoll set of N level-triggered eventfds that stay readable. */
    @State(Scope.Thread)
    public static class LevelTriggeredEpoll {
        @Param({"1", "16", "64", "256"})
        public int events;

        int epfd;
        int[] fds;
        ByteBuffer eventBuffer;
        long eventAddress;

        @Setup(Level.Trial)
        public void open() {
            // Loading the ring-source layer loads the native library.
            Throwable cause = RingSourceKind.EPOLL.unavailabilityCause();
            if (cause != null) {
                throw new IllegalStateException("the native library is unavailable: " + cause, cause);
            }
            epfd = check("epoll_create1", Native.epollCreate());
            fds = newEventFds(events);
            for (int i = 0; i < fds.length; i++) {
                check("epoll_ctl", Native.epollCtl(epfd, Native.EPOLL_CTL_ADD, fds[i], Native.EPOLLIN, i));
                check("eventfd write", Native.eventFdWrite(fds[i], 1));
            }
            eventBuffer = ByteBuffer.allocateDirect(events * Native.SIZEOF_EPOLL_EVENT);
            eventAddress = PlatformDependent.directBufferAddress(eventBuffer);
        }

        @TearDown(Level.Trial)
        public void close() {
            for (int fd : fds) {
                Native.close(fd);
            }
            Native.close(epfd);
        }
    }

    @Benchmark
    public int drain(ReadyRing ring) {
        return ring.drainAll();
    }

    @Benchmark
    public int signalThenDrain(Ring ring) {
        ring.signal();
        return ring.drainAll();
    }

    @Benchmark
    public int epollWaitLevelTriggered(LevelTriggeredEpoll epoll) {
        int n = Native.epollWait(epoll.epfd, epoll.eventAddress, epoll.events, 0);
        if (n != epoll.events) {
            throw new IllegalStateException("epoll_wait returned " + n + ", expected " + epoll.events);
        }
        return n;
    }

    static int[] newEventFds(int n) {
        int[] fds = new int[n];
        for (int i = 0; i < n; i++) {
            fds[i] = check("eventfd", Native.eventFd());
        }
        return fds;
    }

    static int check(String what, int result) {
        if (result < 0) {
            throw new IllegalStateException(what + " failed: errno " + -result);
        }
        return result;
    }

    /** Sums what it is handed, so the JIT cannot drop the delivery. */
    static final class CountingHandler implements ReadyHandler {
        long sum;

        @Override
        public void ready(long token, int events) {
            sum += token + events;
        }
    }
}
