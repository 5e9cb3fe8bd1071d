package dev.userpoll.transport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * This transport (built against the BOM's Netty) in child JVMs whose class path has another Netty instead: the
 * oldest 4.2 the frameworks manage and Spring Boot's, each with Netty's own epoll and io_uring natives beside ours,
 * loaded before ours and after (whichever library loads first registers the io.netty.channel.unix natives), echoing on
 * our ring sources and on Netty's transports; and a Netty 4.1, which must make the transport unavailable with a
 * message naming the versions, never a crash.
 */
class NettyVersionCompatibilityTest {
    private static final Path VERSIONS = Path.of(System.getProperty("userpoll.test.nettyVersions", "target/netty-versions"));

    /** Our classes, tests and native jar, and every jar of {@code nettyVersion}: no other Netty. */
    private static String classPath(String nettyVersion) throws IOException {
        List<String> cp = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (entry.endsWith("classes") || entry.endsWith("test-classes") || name.startsWith("transport-userpoll-native")) {
                cp.add(entry);
            }
        }
        Path dir = VERSIONS.resolve(nettyVersion);
        assertTrue(Files.isDirectory(dir), dir + " missing: the build copies it (maven-dependency-plugin, netty-versions)");
        try (Stream<Path> jars = Files.list(dir)) {
            jars.filter(p -> p.toString().endsWith(".jar")).forEach(p -> cp.add(p.toString()));
        }
        return String.join(File.pathSeparator, cp);
    }

    private static String run(String nettyVersion, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(nettyVersion), "-Dio.netty.leakDetection.level=paranoid",
                NettyVersionProbe.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("netty-version-probe", ".log");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe on Netty " + nettyVersion + " did not finish");
            String log = Files.readString(out, StandardCharsets.UTF_8);
            System.out.println("--- Netty " + nettyVersion + ' ' + String.join(" ", args) + ":\n" + log);
            // 134 (SIGABRT) is how a JVM crash ends; any non-zero status fails here with the log.
            assertEquals(0, p.exitValue(), "probe on Netty " + nettyVersion + " exited with " + p.exitValue() + ":\n" + log);
            assertTrue(!log.contains("A fatal error has been detected"), log);
            return log;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @ParameterizedTest(name = "Netty {0}, {1}")
    @CsvSource({
            "minimum, userpoll-first", "minimum, netty-first",
            "boot, userpoll-first", "boot, netty-first"})
    void olderNetty42WorksWithNettysOwnNativesBesideOurs(String which, String order) throws Exception {
        String version = System.getProperty("minimum".equals(which) ? "userpoll.test.nettyMinimum" : "userpoll.test.nettyBoot");
        String log = run(version, order, "userpoll:io_uring,userpoll:epoll,netty-epoll,netty-io_uring");
        assertTrue(log.contains("netty-transport-native-unix-common=" + version), log);
        assertTrue(log.contains("netty-transport-native-epoll=" + version), log);
        for (String t : List.of("userpoll:io_uring", "userpoll:epoll", "netty-epoll", "netty-io_uring")) {
            assertTrue(log.contains("echo OK on " + t), "no echo on " + t + ":\n" + log);
        }
        assertTrue(log.contains("probe OK"), log);
        assertTrue(!log.contains("LEAK"), log);
    }

    @Test
    void netty41IsRefusedByNameAtStartUp() throws Exception {
        String version = System.getProperty("userpoll.test.nettyOld");
        String log = run(version, "check");
        assertTrue(log.contains("userpoll available=false"), log);
        assertTrue(log.contains("needs Netty 4.2.9.Final or a newer 4.2.x (built against 4.2.18.Final)"), log);
        assertTrue(log.contains("netty-transport " + version), log);
    }
}
