package dev.userpoll.transport.ring;

import dev.userpoll.transport.RingSourceKind;
import dev.userpoll.transport.internal.UserpollProperties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Detection of EPOLL_USERPOLL on a kernel that may not have it: whatever the answer, no fd is left
 * open and the mainline syscalls that share epoll_create2's numbers do nothing.
 */
class UserpollRingDetectionTest {

    @BeforeAll
    static void x86Linux() {
        assertNull(RingSources.nativeUnavailabilityCause());
        // The syscall numbers probed here are x86_64's.
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "x86_64 only: syscall numbers differ elsewhere");
    }

    /** The JVM's own settings (the QEMU guest passes both), restored after each test that changes them. */
    private static final String SYSCALL_AT_START = System.getProperty(UserpollRing.SYSCALL_PROPERTY);
    private static final String PROTOCOL_AT_START = System.getProperty(UserpollRing.PROTOCOL_PROPERTY);

    @AfterEach
    void restoreProperties() {
        restore(UserpollRing.SYSCALL_PROPERTY, SYSCALL_AT_START);
        restore(UserpollRing.PROTOCOL_PROPERTY, PROTOCOL_AT_START);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void probingLeavesNoFdOpenAndCreatesNothing() throws Exception {
        Set<String> cwdBefore = listCwd();
        Map<Integer, String> fdsBefore = fds();
        for (int i = 0; i < 5; i++) {
            UserpollRing.probe();
        }
        Map<Integer, String> fdsAfter = fds();
        assertEquals(fdsBefore, fdsAfter, "fds opened by the probe stayed open");
        assertEquals(cwdBefore, listCwd(), "the probe created something in the working directory");
    }

    @Test
    void unavailableCauseNamesBothSyscallsAndWhatTheyAnswered() {
        Throwable cause = UserpollRing.probe();
        assumeTrue(cause != null, "this kernel has EPOLL_USERPOLL");
        String message = cause.getMessage();
        System.out.println("userpoll unavailable: " + message);
        assertTrue(message.contains("EPOLL_USERPOLL is not supported by this kernel"), message);
        assertTrue(message.contains(System.getProperty("os.version")), message);
        assertTrue(message.contains("syscall 428, open_tree on mainline) failed with E"), message);
        assertTrue(message.contains("syscall 437, openat2 on mainline) failed with E"), message);
        assertFalse(RingSourceKind.USERPOLL.isAvailable());
        assertNotNull(RingSourceKind.USERPOLL.unavailabilityCause());
        IOException e = assertThrows(IOException.class, () -> new UserpollRing(64));
        assertTrue(e.getMessage().contains("EPOLL_USERPOLL"), e.getMessage());
    }

    @Test
    void mainlineAnswersAreHarmlessErrors() {
        assumeTrue(UserpollRing.probe() != null, "this kernel has EPOLL_USERPOLL");
        String message = UserpollRing.probe().getMessage();
        // Unconfined, open_tree faults on the path pointer and openat2 rejects usize 0; a seccomp
        // filter may answer EPERM or ENOSYS first. Never an fd.
        assertTrue(message.matches(".*syscall 428, open_tree on mainline\\) failed with (EFAULT|EPERM|ENOSYS).*"),
                message);
        assertTrue(message.matches(".*syscall 437, openat2 on mainline\\) failed with (EINVAL|EPERM|ENOSYS).*"),
                message);
    }

    @Test
    void anFdThatIsNotAnEventpollIsClosedAndNamed() throws Exception {
        // 253 is inotify_init on x86_64: it ignores its arguments and returns an inotify fd.
        System.setProperty(UserpollRing.SYSCALL_PROPERTY, "253");
        System.setProperty(UserpollRing.PROTOCOL_PROPERTY, "v5");
        Map<Integer, String> before = fds();
        Throwable cause = UserpollRing.probe();
        assertEquals(before, fds());
        assertNotNull(cause);
        assertTrue(cause.getMessage().contains("syscall 253) returned fd")
                && cause.getMessage().contains("inotify, not anon_inode:[eventpoll]"), cause.getMessage());
    }

    @Test
    void anEventpollWithoutTheUserpollHeaderIsClosedAndNamed() throws Exception {
        // 213 is epoll_create on x86_64: an ordinary eventpoll, which cannot be mmap'd.
        System.setProperty(UserpollRing.SYSCALL_PROPERTY, "213");
        System.setProperty(UserpollRing.PROTOCOL_PROPERTY, "v3");
        Map<Integer, String> before = fds();
        Throwable cause = UserpollRing.probe();
        assertEquals(before, fds());
        assertNotNull(cause);
        assertTrue(cause.getMessage().contains("syscall 213) returned an eventpoll fd, but mmap of its header page"),
                cause.getMessage());
    }

    @Test
    void aNumberWithoutAKnownProtocolNeedsTheProtocolProperty() {
        System.setProperty(UserpollRing.SYSCALL_PROPERTY, "213");
        System.clearProperty(UserpollRing.PROTOCOL_PROPERTY);
        Throwable cause = UserpollRing.probe();
        assertNotNull(cause);
        assertTrue(cause.getMessage().contains("-D" + UserpollRing.PROTOCOL_PROPERTY), cause.getMessage());
    }

    @Test
    void badPropertiesAreReportedAsTheCause() {
        System.setProperty(UserpollRing.SYSCALL_PROPERTY, "four-two-eight");
        assertTrue(UserpollRing.probe().getMessage().contains("is not a syscall number"));
        System.clearProperty(UserpollRing.SYSCALL_PROPERTY);
        System.setProperty(UserpollRing.PROTOCOL_PROPERTY, "v9");
        assertTrue(UserpollRing.probe().getMessage().contains("unknown userpoll protocol"));
    }

    @Test
    void theEnvironmentVariablesAreReadWhenThePropertiesAreUnset() {
        Map<String, String> env = Map.of(UserpollProperties.EPOLL_CREATE2_SYSCALL_ENV, "four-two-eight");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> UserpollRing.detect(new UserpollProperties(name -> null, env::get)));
        assertTrue(e.getMessage().contains("'four-two-eight' (environment variable USERPOLL_EPOLL_CREATE2_SYSCALL)")
                && e.getMessage().contains("is not a syscall number"), e.getMessage());

        Map<String, String> protocolEnv = Map.of(UserpollProperties.EPOLL_CREATE2_PROTOCOL_ENV, "v9");
        e = assertThrows(UnsupportedOperationException.class,
                () -> UserpollRing.detect(new UserpollProperties(name -> null, protocolEnv::get)));
        assertTrue(e.getMessage().contains("(environment variable USERPOLL_EPOLL_CREATE2_PROTOCOL)")
                && e.getMessage().contains("unknown userpoll protocol"), e.getMessage());
    }

    @Test
    void theOldDevUserpollNamesAreNoLongerRead() {
        // Before every setting moved under userpoll.*, these two were read; now they must change nothing.
        Map<String, String> old = Map.of("dev.userpoll.epollCreate2.syscall", "four-two-eight",
                "dev.userpoll.protocol", "v9");
        UserpollProperties settings = new UserpollProperties(old::get, name -> null);
        String message;
        try {
            UserpollRing.detect(settings);
            message = "";
        } catch (UnsupportedOperationException e) {
            message = e.getMessage();
            assertTrue(message.contains("syscall 428") && message.contains("syscall 437"), message);
        }
        assertFalse(message.contains("four-two-eight") || message.contains("v9"), message);
    }

    @Test
    void protocolFollowsTheSyscallNumberUnlessOverridden() {
        assertEquals(UserpollProtocol.V3, UserpollProtocol.ofSyscall(428));
        assertEquals(UserpollProtocol.V5, UserpollProtocol.ofSyscall(437));
        assertNull(UserpollProtocol.ofSyscall(213));
        assertEquals(UserpollProtocol.V3, UserpollProtocol.parse(" V3 "));
        assertEquals(UserpollProtocol.V5, UserpollProtocol.parse("v4"));
        assertThrows(IllegalArgumentException.class, () -> UserpollProtocol.parse("v6"));
    }

    private static Map<Integer, String> fds() throws IOException {
        Map<Integer, String> links = new TreeMap<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            list.forEach(p -> {
                try {
                    String link = Files.readSymbolicLink(p).toString();
                    if (!(link.startsWith("/proc/") && link.endsWith("/fd"))) { // the listing's own fd varies
                        links.put(Integer.parseInt(p.getFileName().toString()), link);
                    }
                } catch (IOException gone) {
                    // the directory stream's own fd, closed by the time it is read
                }
            });
        }
        return links;
    }

    private static Set<String> listCwd() throws IOException {
        try (Stream<Path> list = Files.list(Path.of("").toAbsolutePath())) {
            Set<String> names = new TreeSet<>();
            list.forEach(p -> names.add(p.getFileName().toString()));
            return names;
        }
    }
}
