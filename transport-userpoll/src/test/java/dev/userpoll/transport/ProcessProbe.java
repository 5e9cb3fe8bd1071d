package dev.userpoll.transport;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the hostile-peer tests measure from outside the transport: the process's socket fds (from
 * {@code /proc/self/fd}), a loop thread's CPU time (from {@code /proc/self/task/TID/stat}, found by the
 * thread's name) and the JDK's direct memory.
 */
final class ProcessProbe {
    /** USER_HZ: the unit of utime and stime in {@code /proc/.../stat}; 100 on every Linux ABI we build for. */
    static final int CLOCK_TICKS_PER_SECOND = 100;

    private ProcessProbe() {
    }

    /** How many sockets this process has open now. */
    static int socketFds() throws IOException {
        int sockets = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
                        sockets++;
                    }
                } catch (IOException e) {
                    // closed since the listing: not open now
                }
            }
        }
        return sockets;
    }

    /**
     * The CPU time (user + system, in clock ticks) of the one thread whose name (the kernel's 15-character
     * {@code comm}) starts with {@code namePrefix}; the JVM gives a Java thread's name to its kernel thread.
     */
    static long threadCpuTicks(String namePrefix) throws IOException {
        String prefix = namePrefix.length() > 15 ? namePrefix.substring(0, 15) : namePrefix;
        Path found = null;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) s::iterator) {
                String comm;
                try {
                    comm = Files.readString(task.resolve("comm")).trim();
                } catch (IOException e) {
                    continue; // the thread ended
                }
                if (comm.startsWith(prefix)) {
                    if (found != null) {
                        throw new IllegalStateException("two threads named " + prefix + "*: " + found + ", " + task);
                    }
                    found = task;
                }
            }
        }
        if (found == null) {
            throw new IllegalStateException("no thread named " + prefix + "*");
        }
        String stat = Files.readString(found.resolve("stat"));
        // comm, in parentheses, may hold spaces: the fields counted here start after its closing parenthesis.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15 of stat)
    }

    /** The CPU time (clock ticks) of every thread whose name starts with {@code namePrefix}, summed. */
    static long threadsCpuTicks(String namePrefix) throws IOException {
        String prefix = namePrefix.length() > 15 ? namePrefix.substring(0, 15) : namePrefix;
        long ticks = 0;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) s::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).trim().startsWith(prefix)) {
                        String stat = Files.readString(task.resolve("stat"));
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    }
                } catch (IOException e) {
                    // the thread ended
                }
            }
        }
        return ticks;
    }

    /** Direct memory the JDK accounts (NIO direct buffers, Netty's unpooled direct buffers with a cleaner). */
    static long jdkDirectMemory() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }
}
