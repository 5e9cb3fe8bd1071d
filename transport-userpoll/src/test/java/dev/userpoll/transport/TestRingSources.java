package dev.userpoll.transport;

import dev.userpoll.transport.ring.EmulatedUserpollKernel;
import dev.userpoll.transport.ring.RingSource;
import dev.userpoll.transport.ring.UserpollProtocol;
import io.netty.channel.IoHandlerFactory;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The ring sources whole-transport tests run on: each real kind (skipped, with its cause printed, where
 * this machine lacks it) and the userpoll source over the emulated kernel, v3 and v5, which always runs;
 * each once with the direct I/O submitter and once batched ({@code +batched} in its name).
 */
public final class TestRingSources {
    private TestRingSources() {
    }

    /** One ring source to test on. */
    public static final class Source {
        private final String name;
        private final RingSourceKind kind;
        private final UserpollProtocol emulated;
        private final IoSubmitter submitter;

        private Source(String name, RingSourceKind kind, UserpollProtocol emulated, IoSubmitter submitter) {
            this.name = submitter == IoSubmitter.DIRECT ? name : name + '+' + submitter.configName();
            this.kind = kind;
            this.emulated = emulated;
            this.submitter = submitter;
        }

        /** Skips the calling test, printing why, when this source cannot run here. */
        public void assumeAvailable() {
            Throwable cause = unavailabilityCause();
            Assumptions.assumeTrue(cause == null, () -> name + " is unavailable here: " + cause);
        }

        /** Why this source cannot run here, or {@code null} (the emulated kernel always runs). */
        public Throwable unavailabilityCause() {
            Throwable cause = emulated == null ? Userpoll.unavailabilityCause(kind) : null;
            return cause != null ? cause : submitter.unavailabilityCause();
        }

        /**
         * Whether Netty's suites pair this source with NIO peers (our server with a NIO client, a NIO server with
         * our client) as well as with itself. The real kinds do; userpoll over the emulated kernel runs only ours
         * with ours: it differs from the real userpoll source only in who writes the ring, which a NIO peer on the
         * other end of the socket cannot see, and leaving those pairs out keeps the test command's time in budget.
         */
        public boolean pairsWithNio() {
            return emulated == null;
        }

        /** How the channels on this source do their reads and writes. */
        public IoSubmitter submitter() {
            return submitter;
        }

        public RingSource open(int ringSize) throws IOException {
            return emulated == null ? kind.open(ringSize) : EmulatedUserpollKernel.openRing(ringSize, emulated);
        }

        public IoHandlerFactory ioHandlerFactory() {
            assumeAvailable();
            return emulated == null ? UserpollIoHandler.newFactory(
                    new UserpollIoHandlerConfig().setRingSource(kind).setIoSubmitter(submitter))
                    : EmulatedUserpoll.ioHandlerFactory(emulated, submitter);
        }

        /** As {@link #ioHandlerFactory()}, with rings of {@code ringSize} (a userpoll item table that size). */
        public IoHandlerFactory ioHandlerFactory(int ringSize) {
            assumeAvailable();
            return emulated == null ? UserpollIoHandler.newFactory(new UserpollIoHandlerConfig().setRingSource(kind)
                    .setIoSubmitter(submitter).setRingSize(ringSize))
                    : EmulatedUserpoll.ioHandlerFactory(emulated, ringSize, IdlePolicy.PARK, submitter);
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
        for (IoSubmitter submitter : IoSubmitter.values()) {
            for (RingSourceKind kind : RingSourceKind.values()) {
                sources.add(new Source(kind.configName(), kind, null, submitter));
            }
            for (UserpollProtocol protocol : UserpollProtocol.values()) {
                sources.add(new Source("userpoll-emulated-" + protocol.name().toLowerCase(java.util.Locale.ROOT),
                        RingSourceKind.USERPOLL, protocol, submitter));
            }
        }
        return java.util.Collections.unmodifiableList(sources);
    }
}
