package dev.userpoll.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code java -jar userpoll-examples.jar ...} as a child process, with its output captured line by line. */
final class ExampleProcess implements AutoCloseable {
    static final Path JAR = Path.of(System.getProperty("examples.jar", "target/userpoll-examples.jar"));

    final Process process;
    private final BlockingQueue<String> stdoutLines = new LinkedBlockingQueue<>();
    private final List<String> stdout = new ArrayList<>();
    private final Path stderrFile;
    private final Thread reader;

    private ExampleProcess(List<String> command, Map<String, String> env) throws IOException {
        assertTrue(Files.isRegularFile(JAR), "the shaded jar is built by package: " + JAR.toAbsolutePath());
        stderrFile = Files.createTempFile("userpoll-example", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderrFile.toFile());
        // Only what the test sets: a USERPOLL_* variable in the build's environment must not steer the choice.
        pb.environment().keySet().removeIf(k -> k.startsWith("USERPOLL_"));
        pb.environment().putAll(env);
        process = pb.start();
        process.getOutputStream().close();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (stdout) {
                        stdout.add(line);
                    }
                    stdoutLines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "example-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code java [jvmArgs] -jar userpoll-examples.jar args...}. */
    static ExampleProcess start(List<String> jvmArgs, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        return new ExampleProcess(command, env);
    }

    static ExampleProcess start(String... args) throws IOException {
        return start(List.of(), Map.of(), args);
    }

    /** The first stdout line matching, waiting up to {@code seconds}; fails with everything seen otherwise. */
    String awaitLine(Predicate<String> match, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (;;) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? stdoutLines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                fail("no expected line within " + seconds + " s (alive: " + process.isAlive() + "); " + describe());
            }
            if (match.test(line)) {
                return line;
            }
        }
    }

    /** SIGTERM, as {@code kill} sends it; unlike {@link Process#destroy()} this keeps our ends of its pipes open. */
    void terminate() {
        process.toHandle().destroy();
    }

    /** Waits for the exit; fails (killing the process) if it takes longer than {@code seconds}. */
    int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("still running after " + seconds + " s; " + describe());
        }
        reader.join(5000);
        return process.exitValue();
    }

    String stdout() {
        synchronized (stdout) {
            return String.join("\n", stdout);
        }
    }

    String stderr() {
        try {
            return Files.readString(stderrFile);
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ')';
        }
    }

    String describe() {
        return "stdout:\n" + stdout() + "\nstderr:\n" + stderr();
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        Files.deleteIfExists(stderrFile);
    }
}
