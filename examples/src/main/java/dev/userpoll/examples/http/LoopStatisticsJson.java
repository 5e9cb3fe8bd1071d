package dev.userpoll.examples.http;

import dev.userpoll.transport.UserpollLoopStatistics;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;

import java.util.Map;

/**
 * The userpoll loop statistics of an event-loop group as one JSON object: the group's sum under {@code "group"}
 * and each loop's under {@code "loops"}, every count by its {@link UserpollLoopStatistics#toMap()} name.
 */
public final class LoopStatisticsJson {
    private LoopStatisticsJson() {
    }

    /** The statistics of {@code group}'s userpoll loops as JSON, or {@code null} when it has none. */
    public static String of(EventExecutorGroup group) {
        if (!UserpollLoopStatistics.isAvailable(group)) {
            return null;
        }
        StringBuilder sb = new StringBuilder("{\"group\":");
        append(sb, UserpollLoopStatistics.of(group));
        sb.append(",\"loops\":[");
        boolean first = true;
        for (EventExecutor loop : group) {
            if (UserpollLoopStatistics.isAvailable(loop)) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                append(sb, UserpollLoopStatistics.of(loop));
            }
        }
        return sb.append("]}").toString();
    }

    private static void append(StringBuilder sb, UserpollLoopStatistics s) {
        sb.append('{');
        for (Map.Entry<String, Long> e : s.toMap().entrySet()) {
            sb.append('"').append(e.getKey()).append("\":").append(e.getValue()).append(',');
        }
        sb.append("\"operationsPerBatchSubmit\":")
                .append(String.format(java.util.Locale.ROOT, "%.3f", s.operationsPerBatchSubmit())).append('}');
    }
}
