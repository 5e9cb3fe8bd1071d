package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Sockets, pipes and event collection for the io_uring ring source tests. */
final class IoUringTestSupport {
    private IoUringTestSupport() {
    }

    static void assumeIoUring() {
        Throwable cause = RingSourceKind.IO_URING.unavailabilityCause();
        if (cause != null) {
            System.out.println("skipping: io_uring ring source unavailable: " + cause);
        }
        assumeTrue(cause == null, () -> "io_uring ring source unavailable: " + cause);
    }

    /** One delivered event. */
    static final class Event {
        final long token;
        final int events;

        Event(long token, int events) {
            this.token = token;
            this.events = events;
        }

        @Override
        public String toString() {
            return "Event(" + token + ", 0x" + Integer.toHexString(events) + ')';
        }
    }

    /** Parks and drains until {@code done} holds for everything collected, or 2 s pass. */
    static List<Event> collectUntil(RingSource ring, Predicate<List<Event>> done) throws IOException {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + 2_000_000_000L;
        ring.drain((t, e) -> events.add(new Event(t, e)));
        while (!done.test(events) && System.nanoTime() < deadline) {
            ring.park(50_000_000L);
            ring.drain((t, e) -> events.add(new Event(t, e)));
        }
        return events;
    }

    /** Drains what is ready without parking. */
    static List<Event> collectNow(RingSource ring) {
        List<Event> events = new ArrayList<>();
        ring.drain((t, e) -> events.add(new Event(t, e)));
        return events;
    }

    static boolean contains(List<Event> events, long token, int bits) {
        for (Event e : events) {
            if (e.token == token && (e.events & bits) == bits) {
                return true;
            }
        }
        return false;
    }

    static void write(FileDescriptor fd, int bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes);
        for (int i = 0; i < bytes; i++) {
            buf.put((byte) i);
        }
        buf.flip();
        int n = fd.write(buf, 0, bytes);
        if (n != bytes) {
            throw new IOException("short write: " + n + " of " + bytes);
        }
    }

    /** Reads until EAGAIN; returns the bytes read. */
    static int readAll(FileDescriptor fd) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        int total = 0;
        for (;;) {
            int n = fd.read(buf, 0, buf.capacity());
            if (n <= 0) {
                return total; // 0: EAGAIN (Netty's convention) or EOF
            }
            total += n;
        }
    }

    /** A loopback TCP connection: the accepted side as a non-blocking fd, the peer as a blocking java.net.Socket. */
    /** Starts a thread that calls {@code ring.wakeup()} after {@code millis}; join it when done. */
    static Thread wakeAfter(RingSource ring, long millis) {
        Thread waker = new Thread(() -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ring.wakeup();
        }, "waker");
        waker.start();
        return waker;
    }

    static final class TcpPair implements AutoCloseable {
        final Socket accepted;
        final java.net.Socket peer;

        private TcpPair(Socket accepted, java.net.Socket peer) {
            this.accepted = accepted;
            this.peer = peer;
        }

        static TcpPair open() throws IOException {
            Socket server = Socket.newSocketStream();
            try {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                server.listen(1);
                java.net.Socket peer = new java.net.Socket();
                peer.setTcpNoDelay(true);
                peer.connect(server.localAddress(), 2000);
                byte[] addr = new byte[32];
                int fd = -1;
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (fd < 0 && System.nanoTime() < deadline) {
                    fd = server.accept(addr);
                    if (fd < 0) {
                        Thread.onSpinWait();
                    }
                }
                if (fd < 0) {
                    peer.close();
                    throw new IOException("accept timed out");
                }
                Socket accepted = new Socket(fd);
                accepted.setTcpNoDelay(true);
                return new TcpPair(accepted, peer);
            } finally {
                server.close();
            }
        }

        int fd() {
            return accepted.intValue();
        }

        @Override
        public void close() throws IOException {
            peer.close();
            accepted.close();
        }
    }
}
