package dev.userpoll.transport;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import dev.userpoll.transport.ring.RingSource;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.concurrent.ThreadAwareExecutor;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds a loop: opens its ring source and, for the batched submitter, its batch (in the source's own io_uring
 * where it has one: one ring, one enter per pass). Checked once when the factory is made, done once per loop.
 */
final class LoopFactory {
    /** Opens a ring source for each new loop. */
    @FunctionalInterface
    interface RingSourceOpener {
        RingSource open() throws IOException;
    }

    private LoopFactory() {
    }

    /** A factory of loops following {@code config} (copied now) on the sources {@code opener} opens. */
    static IoHandlerFactory create(UserpollIoHandlerConfig config, RingSourceOpener opener) {
        UserpollIoHandlerConfig c = config.copy();
        if (c.getIoSubmitter() == null) {
            c.setIoSubmitter(IoSubmitter.BATCHED.isAvailable() ? IoSubmitter.BATCHED : IoSubmitter.DIRECT);
        }
        IoSubmitter submitter = c.getIoSubmitter();
        Throwable submitterCause = submitter.unavailabilityCause();
        if (submitterCause != null) {
            throw new IllegalStateException("I/O submitter " + submitter.configName() + " is unavailable: "
                    + submitterCause, submitterCause);
        }
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return newLoop(c, submitter, opener, executor);
            }

            /**
             * A loop may go on on another thread (an auto-scaling group suspends idle loops and resumes them on a new
             * thread): nothing of a ring source is bound to its thread but io_uring's registered ring fd, which
             * {@link RingSource#initialize()} registers again with each thread that runs the loop.
             */
            @Override
            public boolean isChangingThreadSupported() {
                return true;
            }
        };
    }

    private static UserpollIoHandler newLoop(UserpollIoHandlerConfig c, IoSubmitter submitter,
                                             RingSourceOpener opener, ThreadAwareExecutor executor) {
        RingSource source;
        try {
            source = opener.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open ring source", e);
        }
        IoUringSocketBatch batch = null;
        if (submitter == IoSubmitter.BATCHED) {
            try {
                batch = source.openSocketBatch(c.getBatchEntries(), c.getBatchParkWindowMicros());
            } catch (IOException | RuntimeException e) {
                source.close();
                throw new UncheckedIOException("cannot open the batched I/O ring",
                        e instanceof IOException ? (IOException) e : new IOException(e));
            }
        }
        return new UserpollIoHandler(executor, source, c, batch);
    }
}
