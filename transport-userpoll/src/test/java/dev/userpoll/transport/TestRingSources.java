package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingSourceKind;
import org.junit.jupiter.api.Assumptions;

import java.util.Arrays;
import java.util.stream.Stream;

/** Every ring source, for parameterized tests; an unavailable one is skipped with its cause printed. */
public final class TestRingSources {
    private TestRingSources() {
    }

    public static Stream<RingSourceKind> all() {
        return Arrays.stream(RingSourceKind.values());
    }

    public static void assumeAvailable(RingSourceKind kind) {
        Throwable cause = Userpoll.unavailabilityCause(kind);
        Assumptions.assumeTrue(cause == null,
                () -> "ring source " + kind.configName() + " is unavailable here: " + cause);
    }
}
