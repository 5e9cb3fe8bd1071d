package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.Errors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place the ring package turns a failed system call into words: exceptions that name the call
 * (through Netty's {@link Errors}) and the symbolic names of errnos.
 * <p>One sign convention for every method: the argument is a result as {@link Native} returns it, so an
 * error is {@code -errno} (negative), never the positive errno. A caller with a {@code long} result (mmap)
 * narrows it with a cast, which keeps the sign.
 */
final class Errno {
    /** Linux numbers the native library does not export; fixed by the generic syscall ABI, as in errno-base.h. */
    private static final int ENXIO = 6;
    private static final int ENODEV = 19;
    private static final int EOPNOTSUPP = 95;
    /** The kernel-internal ENOTSUPP that some system calls leak to user space. */
    private static final int ENOTSUPP = 524;

    private Errno() {
    }

    static IOException ioException(String call, int negativeErrno) {
        return Errors.newIOException(call, negativeErrno);
    }

    /** Returns {@code result} when it is not an error, else throws naming {@code call}. */
    static int check(String call, int result) throws IOException {
        if (result < 0) {
            throw ioException(call, result);
        }
        return result;
    }

    /**
     * The symbolic name of the error {@code negativeErrno} ({@code -EINVAL} gives {@code "EINVAL"}),
     * {@code "errno N"} for one without a name here, and {@code "result N"} for a non-negative argument (which
     * is not an error: naming it would hide a caller that passed the positive errno).
     */
    static String name(int negativeErrno) {
        if (negativeErrno >= 0) {
            return "result " + negativeErrno;
        }
        int e = -negativeErrno;
        // Native's values are read from C at load time, so they are compared one by one instead of switched on.
        if (e == Native.EPERM) {
            return "EPERM";
        }
        if (e == Native.ENOENT) {
            return "ENOENT";
        }
        if (e == Native.EINTR) {
            return "EINTR";
        }
        if (e == Native.EBADF) {
            return "EBADF";
        }
        if (e == Native.EAGAIN) {
            return "EAGAIN";
        }
        if (e == Native.ENOMEM) {
            return "ENOMEM";
        }
        if (e == Native.EFAULT) {
            return "EFAULT";
        }
        if (e == Native.EBUSY) {
            return "EBUSY";
        }
        if (e == Native.EINVAL) {
            return "EINVAL";
        }
        if (e == Native.ENFILE) {
            return "ENFILE";
        }
        if (e == Native.EMFILE) {
            return "EMFILE";
        }
        if (e == Native.ENOSPC) {
            return "ENOSPC";
        }
        if (e == Native.ENOSYS) {
            return "ENOSYS";
        }
        if (e == Native.ETIME) {
            return "ETIME";
        }
        if (e == Native.ENOBUFS) {
            return "ENOBUFS";
        }
        if (e == Native.ESTALE) {
            return "ESTALE";
        }
        switch (e) {
            case ENXIO:
                return "ENXIO";
            case ENODEV:
                return "ENODEV";
            case EOPNOTSUPP:
                return "EOPNOTSUPP";
            case ENOTSUPP:
                return "ENOTSUPP";
            default:
                return "errno " + e;
        }
    }

    /**
     * {@link #name} followed, for the errnos that mean a set-up call (io_uring_setup, epoll_create2, mmap of a
     * ring) was refused rather than misused, by what usually refuses it, so that an unavailability cause says
     * what to change.
     */
    static String describe(int negativeErrno) {
        String name = name(negativeErrno);
        int e = -negativeErrno;
        if (e == Native.EPERM) {
            return name + " (blocked, for example by a seccomp profile)";
        }
        if (e == Native.ENOMEM) {
            // Ring pages (io_uring's before Linux 5.12, userpoll's) are charged to RLIMIT_MEMLOCK.
            return name + " (the locked-memory limit RLIMIT_MEMLOCK, " + lockedMemoryLimit()
                    + ", is too low for the ring, or memory is short; raise the limit with `ulimit -l`,"
                    + " LimitMEMLOCK= in a systemd unit or `--ulimit memlock=-1` for a Docker container)";
        }
        if (e == Native.ENOSYS) {
            return name + " (the kernel lacks this system call)";
        }
        return name;
    }

    /** The soft RLIMIT_MEMLOCK as {@code /proc/self/limits} gives it ("now 8388608 bytes"), or "its value unknown". */
    static String lockedMemoryLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max locked memory")) {
                    String soft = line.substring("Max locked memory".length()).trim().split("\\s+")[0];
                    return "unlimited".equals(soft) ? "now unlimited" : "now " + soft + " bytes";
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the hint still names the limit
        }
        return "its value unknown";
    }
}
