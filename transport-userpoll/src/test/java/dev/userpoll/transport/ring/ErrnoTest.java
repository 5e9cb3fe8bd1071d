package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one sign convention of {@link Errno}: every method takes {@code -errno}, as {@link Native} returns it. */
class ErrnoTest {

    @Test
    void namesTheNegativeResultsNativeReturns() {
        assertEquals("EINVAL", Errno.name(-Native.EINVAL));
        assertEquals("EFAULT", Errno.name(-Native.EFAULT));
        assertEquals("ENOSPC", Errno.name(-Native.ENOSPC));
        assertEquals("ENODEV", Errno.name(-19));
        assertEquals("errno 4095", Errno.name(-4095));
    }

    @Test
    void aPositiveErrnoIsNotNamedAsIfItWereOne() {
        // The old userpoll helper took +errno, the io_uring one -errno: a caller mixing them up is visible.
        assertEquals("result " + Native.EINVAL, Errno.name(Native.EINVAL));
        assertEquals("result 0", Errno.describe(0));
    }

    @Test
    void describeAddsWhatUsuallyRefusesASetupCall() {
        assertTrue(Errno.describe(-Native.EPERM).startsWith("EPERM (blocked"), Errno.describe(-Native.EPERM));
        String enomem = Errno.describe(-Native.ENOMEM);
        assertTrue(enomem.contains("locked-memory limit RLIMIT_MEMLOCK, now ") && enomem.contains("ulimit -l"), enomem);
        assertEquals("EINVAL", Errno.describe(-Native.EINVAL));
    }

    @Test
    void checkPassesResultsThroughAndThrowsNamingTheCall() throws IOException {
        assertEquals(7, Errno.check("read", 7));
        IOException e = assertThrows(IOException.class, () -> Errno.check("epoll_ctl(ADD)", -Native.EBADF));
        assertTrue(e.getMessage().contains("epoll_ctl(ADD)"), e.getMessage());
    }
}
