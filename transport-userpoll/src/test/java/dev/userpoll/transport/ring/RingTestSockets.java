package dev.userpoll.transport.ring;

import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Non-blocking pipes and loopback TCP sockets for the ring source tests, and the process's fd budget. */
public final class RingTestSockets {
    static final InetAddress LOOPBACK;

    static {
        try {
            LOOPBACK = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private RingTestSockets() {
    }

    /** A listening TCP socket on 127.0.0.1, ephemeral port, non-blocking. */
    static Socket listen() throws IOException {
        Socket s = Socket.newSocketStream();
        try {
            s.bind(new InetSocketAddress(LOOPBACK, 0));
            s.listen(128);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Starts a non-blocking connect to {@code listener}. */
    static Socket connect(Socket listener) throws IOException {
        Socket c = Socket.newSocketStream();
        try {
            c.connect(new InetSocketAddress(LOOPBACK, listener.localAddress().getPort()));
            return c;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    /** Accepts one connection, waiting up to five seconds for it. */
    static Socket accept(Socket listener) throws IOException, InterruptedException {
        byte[] address = new byte[26];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (;;) {
            int fd = listener.accept(address);
            if (fd >= 0) {
                return new Socket(fd);
            }
            if (System.nanoTime() - deadline > 0) {
                fail("no connection to accept");
            }
            Thread.sleep(1);
        }
    }

    /** Writes {@code n} bytes (all of them: the caller keeps n below the buffer sizes). */
    static void write(FileDescriptor fd, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(n);
        for (int i = 0; i < n; i++) {
            buf.put(i, (byte) i);
        }
        assertEquals(n, fd.write(buf, 0, n), "short write to " + fd);
    }

    /** Reads until EAGAIN or end of stream; returns the bytes read. */
    static int readAll(FileDescriptor fd) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        int total = 0;
        for (;;) {
            int n = fd.read(buf, 0, buf.capacity());
            if (n <= 0) { // 0: EAGAIN, -1: end of stream
                return total;
            }
            total += n;
        }
    }

    /** Closes every descriptor, ignoring errors and nulls. */
    static void closeAll(List<FileDescriptor> fds) {
        for (FileDescriptor fd : fds) {
            try {
                if (fd != null) {
                    fd.close();
                }
            } catch (IOException ignore) {
                // best effort clean-up
            }
        }
    }

    /** How many fds this process has open right now. */
    static int openFdCount() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }

    /**
     * The fds this process has open right now, each as "number -> what it is" (so a number reused for another
     * kind of file does not look unchanged). Other threads (a Cleaner closing a socket of an earlier test) may
     * close fds meanwhile: compare what was added, never the count.
     */
    public static Set<String> openFds() throws IOException {
        Set<String> fds = new HashSet<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (!target.toString().matches("/proc/\\d+/fd")) { // the listing's own directory fd
                        fds.add(fd.getFileName() + " -> " + target);
                    }
                } catch (IOException e) {
                    // closed since the listing (or the listing's own directory fd): not open now
                }
            }
        }
        return fds;
    }

    /** The soft RLIMIT_NOFILE of this process (what {@code ulimit -n} says), or -1 if unknown. */
    public static long openFdLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return "unlimited".equals(soft) ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return -1;
    }
}
