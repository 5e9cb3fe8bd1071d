package dev.userpoll.transport;

import dev.userpoll.transport.ring.LoopCounters;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.internal.ObjectUtil;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What userpoll event loops did so far: passes, ready events and completions delivered, parks, and the kernel
 * entries the loop made, by reason. An immutable snapshot; take two and {@link #minus subtract} them for a rate.
 * <pre>{@code
 * UserpollLoopStatistics before = UserpollLoopStatistics.of(group);
 * ... run the load ...
 * UserpollLoopStatistics d = UserpollLoopStatistics.of(group).minus(before);
 * double entriesPerPass = (double) d.kernelEntries() / d.passes();
 * }</pre>
 * <p>Cost: each loop counts in plain fields of its own with a few stores per pass (no lock, no atomic
 * read-modify-write, no allocation, no JNI). A snapshot may be taken from any thread without stopping the
 * loop: it includes at least everything up to the loop's last completed pass, and some of the pass under way;
 * no snapshot is atomic across counters.
 * <p>Kernel entries counted: the loop's own (parks, batch submits, registrations, non-blocking readiness
 * fetches) and the eventfd writes other threads made to wake it. Not counted: the reads, writes, accepts and
 * closes the direct submitter makes once per operation for the channels (with the batched submitter the
 * reads and writes are in {@link #batchedOperations()}).
 */
public final class UserpollLoopStatistics {
    /** The counters of every live userpoll loop, by its event loop (the executor Netty hands the handler). */
    private static final Map<Object, LoopCounters> LOOPS = new ConcurrentHashMap<>();

    private final long[] counts;
    private final int loops;

    private UserpollLoopStatistics(long[] counts, int loops) {
        this.counts = counts;
        this.loops = loops;
    }

    /**
     * The statistics of one userpoll event loop, or the sum over every userpoll loop of a group (an
     * {@code EventLoop} is a group of one).
     *
     * @throws IllegalArgumentException when {@code loopOrGroup} holds no live userpoll event loop
     */
    public static UserpollLoopStatistics of(EventExecutorGroup loopOrGroup) {
        ObjectUtil.checkNotNull(loopOrGroup, "loopOrGroup");
        long[] sum = new long[LoopCounters.COUNTS];
        int n = 0;
        for (EventExecutor executor : loopOrGroup) {
            LoopCounters c = LOOPS.get(executor);
            if (c != null) {
                c.addTo(sum);
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("not a running userpoll event loop or group: " + loopOrGroup);
        }
        return new UserpollLoopStatistics(sum, n);
    }

    /** Whether {@code loopOrGroup} holds a live userpoll event loop, whose statistics {@link #of} would give. */
    public static boolean isAvailable(EventExecutorGroup loopOrGroup) {
        for (EventExecutor executor : loopOrGroup) {
            if (LOOPS.containsKey(executor)) {
                return true;
            }
        }
        return false;
    }

    /** A loop's handler was made: its counters become readable through its event loop. */
    static void register(Object loop, LoopCounters counters) {
        LOOPS.put(loop, counters);
    }

    /** A loop's handler was destroyed. */
    static void unregister(Object loop, LoopCounters counters) {
        LOOPS.remove(loop, counters);
    }

    /** A snapshot of one loop's counters (its handler's {@link UserpollIoHandler#statistics()}). */
    static UserpollLoopStatistics of(LoopCounters counters) {
        long[] c = new long[LoopCounters.COUNTS];
        counters.addTo(c);
        return new UserpollLoopStatistics(c, 1);
    }

    /** How many loops this snapshot sums. */
    public int loops() {
        return loops;
    }

    /** Loop passes (one {@code IoHandler.run}: park or flush, drain the ring, serve the ready list). */
    public long passes() {
        return counts[LoopCounters.PASSES];
    }

    /** Ready events drained from the ring and delivered to a channel. */
    public long readyEvents() {
        return counts[LoopCounters.READY_EVENTS];
    }

    /** Completions of batched reads and writes delivered to their channels. */
    public long ioCompletions() {
        return counts[LoopCounters.COMPLETIONS];
    }

    /**
     * Channels served again from the loop's user-space ready list without a kernel event: they stopped before
     * {@code EAGAIN} (max messages per read, write spin count) or asked to be read again (the edge-triggered
     * rules' retries, DESIGN.md section 4).
     */
    public long readyListRetries() {
        return counts[LoopCounters.RETRIES];
    }

    /** Times the loop had nothing to do and asked its ring source to sleep (which may return at once). */
    public long parks() {
        return counts[LoopCounters.PARKS];
    }

    /** Wakeups from other threads that reached the kernel (one eventfd write each). */
    public long wakeups() {
        return counts[LoopCounters.WAKEUPS];
    }

    /** Every kernel entry counted: the sum of the five reasons below. */
    public long kernelEntries() {
        long sum = 0;
        for (int i = 0; i < LoopCounters.REASONS; i++) {
            sum += counts[i];
        }
        return sum;
    }

    /** Kernel entries to sleep (the wait itself, and a timer set for a short deadline). */
    public long parkEntries() {
        return counts[LoopCounters.PARK];
    }

    /** Kernel entries that submitted batched reads and writes without sleeping. */
    public long submitEntries() {
        return counts[LoopCounters.SUBMIT];
    }

    /** Kernel entries for wakeups: the waking thread's eventfd write, and the loop's eventfd reads. */
    public long wakeupEntries() {
        return counts[LoopCounters.WAKEUP];
    }

    /** Kernel entries for registrations: {@code epoll_ctl}, io_uring poll arms, re-arms and removals. */
    public long registrationEntries() {
        return counts[LoopCounters.REGISTER];
    }

    /** Non-blocking readiness fetches: {@code epoll_wait(0)} after a full batch, io_uring overflow flushes. */
    public long pollEntries() {
        return counts[LoopCounters.POLL];
    }

    /** Batched reads and writes handed to the kernel (0 with the direct submitter). */
    public long batchedOperations() {
        return counts[LoopCounters.OPERATIONS];
    }

    /** Kernel entries that carried batched operations, parking ones included (0 with the direct submitter). */
    public long batchSubmits() {
        return counts[LoopCounters.OPERATION_SUBMITS];
    }

    /** Of {@link #batchSubmits()}, those that also parked the loop (the io_uring source's park with sends). */
    public long parkingBatchSubmits() {
        return counts[LoopCounters.PARKING_SUBMITS];
    }

    /** Batched operations per kernel entry that carried any; 0 when none did. */
    public double operationsPerBatchSubmit() {
        long submits = batchSubmits();
        return submits == 0 ? 0 : (double) batchedOperations() / submits;
    }

    /** The counts of this snapshot less those of an {@code earlier} one of the same loops. */
    public UserpollLoopStatistics minus(UserpollLoopStatistics earlier) {
        ObjectUtil.checkNotNull(earlier, "earlier");
        long[] d = new long[LoopCounters.COUNTS];
        for (int i = 0; i < d.length; i++) {
            d[i] = counts[i] - earlier.counts[i];
        }
        return new UserpollLoopStatistics(d, loops);
    }

    /** Every count by a stable name (camelCase, as the accessors), in a fixed order: for reports and JSON. */
    public Map<String, Long> toMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("loops", (long) loops);
        m.put("passes", passes());
        m.put("readyEvents", readyEvents());
        m.put("ioCompletions", ioCompletions());
        m.put("readyListRetries", readyListRetries());
        m.put("parks", parks());
        m.put("wakeups", wakeups());
        m.put("kernelEntries", kernelEntries());
        m.put("parkEntries", parkEntries());
        m.put("submitEntries", submitEntries());
        m.put("wakeupEntries", wakeupEntries());
        m.put("registrationEntries", registrationEntries());
        m.put("pollEntries", pollEntries());
        m.put("batchedOperations", batchedOperations());
        m.put("batchSubmits", batchSubmits());
        m.put("parkingBatchSubmits", parkingBatchSubmits());
        return Collections.unmodifiableMap(m);
    }

    /** One line: {@code name=value} pairs in {@link #toMap()}'s order, and the operations per batch submit. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("UserpollLoopStatistics(");
        for (Map.Entry<String, Long> e : toMap().entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append(", ");
        }
        return sb.append("operationsPerBatchSubmit=")
                .append(String.format(java.util.Locale.ROOT, "%.2f", operationsPerBatchSubmit())).append(')')
                .toString();
    }
}
