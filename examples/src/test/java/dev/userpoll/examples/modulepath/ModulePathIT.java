package dev.userpoll.examples.modulepath;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged transport jar as a named module: a consumer on the module path serves an echo through the exported
 * API and cannot reach the internals ({@link ModulePathProbe}, in a JVM of its own).
 */
class ModulePathIT {
    /** The jars that go on the module path: ours and the Netty modules it reads. */
    private static final Pattern MODULE_JARS = Pattern.compile(
            "transport-userpoll-[0-9][^/]*(?<!-tests)\\.jar|netty-(common|buffer|resolver|transport"
                    + "|transport-native-unix-common|transport-classes-epoll|transport-classes-io_uring)-4[^/-]*\\.jar");

    @Test
    void aConsumerOnTheModulePathServesThroughTheExportedApiAndCannotReachTheInternals() throws Exception {
        List<String> modulePath = new ArrayList<>();
        List<String> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName().toString();
            if (MODULE_JARS.matcher(name).matches()) {
                modulePath.add(entry);
            } else if (!name.startsWith("netty-") || name.contains("native") && !name.contains("unix-common")) {
                classPath.add(entry); // the probe, the native library jar, test libraries
            }
        }
        assertTrue(modulePath.stream().anyMatch(p -> p.contains("transport-userpoll-")),
                "the packaged transport jar is not on the test class path: " + modulePath);
        Path out = Files.createTempFile("module-path-probe", ".log");
        try {
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--module-path", String.join(File.pathSeparator, modulePath),
                    "--add-modules", "dev.userpoll.transport",
                    "-cp", String.join(File.pathSeparator, classPath),
                    ModulePathProbe.class.getName());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish");
            String log = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), "the probe failed:\n" + log + "\ncommand: " + command);
            assertTrue(log.contains("module-path probe OK"), log);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
