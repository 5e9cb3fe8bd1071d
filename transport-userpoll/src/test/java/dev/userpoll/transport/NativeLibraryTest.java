package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibraryTest {

    @Test
    void loadsFromThePackagedJarNotFromABuildDirectory() throws Exception {
        Userpoll.ensureAvailability();
        assertNull(Userpoll.unavailabilityCause());
        // The library on the test class path is the classified jar; Netty's loader extracts it to a
        // temporary file, which is what the process has mapped.
        String classPath = System.getProperty("java.class.path");
        // The classifier follows the architecture, as the library's name does (linux-x86_64, linux-aarch_64).
        String classifier = "-linux-" + PlatformDependent.normalizedArch() + ".jar";
        assertTrue(classPath.contains("transport-userpoll-native-") && classPath.contains(classifier),
                "native jar not on the class path: " + classPath);
        // Nor the native module's build output ("native-classes" alone would match netty-tcnative-classes).
        assertFalse(classPath.contains("transport-userpoll-native/target/classes"), classPath);
        List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.contains(Native.LIBRARY_NAME)).collect(Collectors.toList());
        assertFalse(mapped.isEmpty(), "library not mapped");
        for (String line : mapped) {
            assertFalse(line.contains("/target/"), "loaded from a build directory: " + line);
        }
    }

    @Test
    void constantsComeFromTheKernelHeaders() {
        assertEquals(1, Native.EPOLLIN);
        assertEquals(4, Native.EPOLLOUT);
        assertEquals(0x2000, Native.EPOLLRDHUP);
        assertEquals(1 << 31, Native.EPOLLET);
        // struct epoll_event is packed on x86_64 only (12 bytes, data at 4); 16 bytes, data at 8, on aarch64.
        boolean packedEpollEvent = "x86_64".equals(PlatformDependent.normalizedArch());
        assertEquals(packedEpollEvent ? 12 : 16, Native.SIZEOF_EPOLL_EVENT);
        assertEquals(packedEpollEvent ? 4 : 8, Native.OFFSETOF_EPOLL_DATA);
        assertEquals(64, Native.SIZEOF_IO_URING_SQE);
        assertEquals(16, Native.SIZEOF_IO_URING_CQE);
        assertTrue(Native.PAGE_SIZE >= 4096);
    }

    @Test
    void unixCommonNativesAreRegistered() throws Exception {
        FileDescriptor[] pipe = FileDescriptor.pipe();
        try {
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocateDirect(3).put(new byte[] {1, 2, 3}).flip();
            assertEquals(3, pipe[1].write(out, 0, 3));
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocateDirect(8);
            assertEquals(3, pipe[0].read(in, 0, 8));
        } finally {
            pipe[0].close();
            pipe[1].close();
        }
    }
}
