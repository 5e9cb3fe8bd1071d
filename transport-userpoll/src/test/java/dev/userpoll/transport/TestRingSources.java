package dev.userpoll.transport;

import dev.userpoll.transport.ring.EmulatedUserpollKernel;
import dev.userpoll.transport.ring.RingSource;
import dev.userpoll.transport.ring.RingSourceKind;
import dev.userpoll.transport.ring.UserpollProtocol;
import io.netty.channel.IoHandlerFactory;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The ring sources whole-transport tests run on: each real kind (skipped, with its cause printed, where
 * this machine lacks it) and the userpoll source over the emulated kernel, v3 and v5, which always runs.
 */
public final class TestRingSources {
    private TestRingSources() {
    }

    /** One ring source to test on. */
    public static final class Source {
        private final String name;
        private final RingSourceKind kind;
        private final UserpollProtocol emulated;

        private Source(String name, RingSourceKind kind, UserpollProtocol emulated) {
            this.name = name;
            this.kind = kind;
            this.emulated = emulated;
        }

        /** Skips the calling test, printing why, when this source cannot run here. */
        public void assumeAvailable() {
            if (emulated == null) {
                TestRingSources.assumeAvailable(kind);
            }
        }

        /** Why this source cannot run here, or {@code null} (the emulated kernel always runs). */
        public Throwable unavailabilityCause() {
            return emulated == null ? Userpoll.unavailabilityCause(kind) : null;
        }

        public RingSource open(int ringSize) throws IOException {
            return emulated == null ? kind.open(ringSize) : EmulatedUserpollKernel.openRing(ringSize, emulated);
        }

        public IoHandlerFactory ioHandlerFactory() {
            assumeAvailable();
            return emulated == null ? UserpollIoHandler.newFactory(kind) : EmulatedUserpoll.ioHandlerFactory(emulated);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Skips the calling test, printing why, when {@code kind} cannot run here. */
    public static void assumeAvailable(RingSourceKind kind) {
        Throwable cause = Userpoll.unavailabilityCause(kind);
        Assumptions.assumeTrue(cause == null,
                () -> "ring source " + kind.configName() + " is unavailable here: " + cause);
    }

    /** The real kinds, then userpoll over the emulated kernel (v3, v5); built once, so instances compare equal. */
    public static Stream<Source> all() {
        return ALL.stream();
    }

    private static final List<Source> ALL = build();

    private static List<Source> build() {
        List<Source> sources = new ArrayList<>();
        for (RingSourceKind kind : RingSourceKind.values()) {
            sources.add(new Source(kind.configName(), kind, null));
        }
        for (UserpollProtocol protocol : UserpollProtocol.values()) {
            sources.add(new Source("userpoll-emulated-" + protocol.name().toLowerCase(java.util.Locale.ROOT),
                    RingSourceKind.USERPOLL, protocol));
        }
        return java.util.Collections.unmodifiableList(sources);
    }
}
