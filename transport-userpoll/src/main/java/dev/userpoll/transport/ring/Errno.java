package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.Errors;

import java.io.IOException;

/** Turns the {@code -errno} results of {@link Native} into exceptions that name the call. */
final class Errno {
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
}
