package dev.userpoll.transport.io;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import dev.userpoll.transport.ring.RingSource;
import io.netty.channel.Channel;
import io.netty.channel.unix.Socket;

/**
 * How the channels of one loop do their socket I/O (DESIGN.md 4b): hands each channel its {@link SocketIo}
 * and does the loop's part. {@link #direct()} makes every call at once; {@link #batched} lets reads and the
 * writes that answer completions join one batch per pass. Loop thread only.
 */
public abstract class Submitter {
    private Submitter() {
    }

    /** System calls made at once, one per operation. */
    public static Submitter direct() {
        return Direct.INSTANCE;
    }

    /** Reads and writes joining {@code batch}, which the loop owns and closes. */
    public static Submitter batched(IoUringSocketBatch batch) {
        return new Batched(batch);
    }

    /** The socket I/O of a channel on this loop; results of queued operations go to {@code completion}. */
    public abstract SocketIo open(Channel channel, Socket socket, IoCompletion completion);

    /**
     * The datagram I/O of a channel on this loop ({@code ipv6}: its socket's family, for the addresses it writes);
     * results of queued operations go to {@code completion}.
     */
    public abstract DatagramIo openDatagram(Socket socket, boolean ipv6, DatagramCompletion completion);

    /** Whether the loop may park on {@code source} now: nothing is queued, or the source's park submits it. */
    public abstract boolean mayPark(RingSource source);

    /**
     * The loop's pass is over: a batch with a ring of its own submits the pass's operations, waits for them and
     * delivers their completions (a batch in the source's ring went with the source's park or flush, and its
     * completions come through the drain). Returns how many completions were delivered.
     */
    public abstract int completePass();

    /** The loop's batch, or null (tests and statistics). */
    public abstract IoUringSocketBatch batch();

    /** Releases what the submitter holds; the loop's channels were closed first. */
    public abstract void close();

    private static final class Direct extends Submitter {
        static final Direct INSTANCE = new Direct();

        @Override
        public SocketIo open(Channel channel, Socket socket, IoCompletion completion) {
            return new DirectSocketIo(channel, socket);
        }

        @Override
        public DatagramIo openDatagram(Socket socket, boolean ipv6, DatagramCompletion completion) {
            return new DirectDatagramIo(socket, ipv6);
        }

        @Override
        public boolean mayPark(RingSource source) {
            return true;
        }

        @Override
        public int completePass() {
            return 0;
        }

        @Override
        public IoUringSocketBatch batch() {
            return null;
        }

        @Override
        public void close() {
        }
    }

    private static final class Batched extends Submitter {
        private final IoUringSocketBatch batch;

        Batched(IoUringSocketBatch batch) {
            this.batch = batch;
        }

        @Override
        public SocketIo open(Channel channel, Socket socket, IoCompletion completion) {
            return new BatchedSocketIo(channel, socket, batch, completion);
        }

        @Override
        public DatagramIo openDatagram(Socket socket, boolean ipv6, DatagramCompletion completion) {
            return new BatchedDatagramIo(socket, ipv6, batch, completion);
        }

        @Override
        public boolean mayPark(RingSource source) {
            return batch.queued() == 0 || source.canParkWithQueuedIo();
        }

        @Override
        public int completePass() {
            return batch.isShared() ? 0 : batch.submitAndComplete();
        }

        @Override
        public IoUringSocketBatch batch() {
            return batch;
        }

        @Override
        public void close() {
            batch.close();
        }
    }
}
