package dev.userpoll.transport;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels production really gives: a server in a child JVM started by a launcher of ours
 * ({@code src/test/c/seccomp-launcher.c}, compiled here) that refuses io_uring system calls with {@code EPERM} as
 * Docker's default seccomp profile does, or sets a tiny {@code RLIMIT_MEMLOCK}, or with Netty's
 * {@code io.netty.transport.noNative}. Each time the transport selector falls back with the cause logged once at
 * INFO, and the server serves an echo.
 */
class UserpollRestrictedKernelTest {
    private static final Path SOURCE = Path.of("src/test/c/seccomp-launcher.c");
    private static final Path LAUNCHER = Path.of("target/test-native/seccomp-launcher");
    /** The launcher's exit status when this machine cannot do what was asked (no seccomp filters...). */
    private static final int CANNOT = 97;
    private static String unbuildable;

    @BeforeAll
    static void buildLauncher() throws Exception {
        Files.createDirectories(LAUNCHER.getParent());
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-O2", "-Wall", "-Werror", "-o", LAUNCHER.toString(), SOURCE.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            unbuildable = "no C compiler (cc) to build the seccomp launcher: " + e.getMessage();
            return;
        }
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
            unbuildable = "the seccomp launcher did not compile: " + out;
        }
    }

    @Test
    void ioUringSetupRefusedFallsBackToEpollAndServes() throws Exception {
        try (Child child = Child.start(List.of("--deny", "io_uring_setup"), List.of(), "userpoll")) {
            assertEquals("userpoll:epoll", child.selected, child.output());
            assertEquals("direct", child.submitter, "the batched submitter needs io_uring too: " + child.output());
            child.assertCauseLoggedOnceAtInfo("io_uring_setup", "EPERM");
            child.assertEchoes();
        }
    }

    @Test
    void ioUringEnterRefusedFallsBackToEpollAndServes() throws Exception {
        // The ring can be set up, but not entered: the availability probe enters it, so selection falls back
        // instead of handing out a loop that would fail on its first pass.
        try (Child child = Child.start(List.of("--deny", "io_uring_enter"), List.of(), "userpoll")) {
            assertEquals("userpoll:epoll", child.selected, child.output());
            assertEquals("direct", child.submitter, child.output());
            child.assertCauseLoggedOnceAtInfo("io_uring_enter", "EPERM");
            child.assertEchoes();
        }
    }

    @Test
    void ioUringRegisterRefusedStillServes() throws Exception {
        // Registering the ring fd with the loop thread is an optimisation: refused, enters go by the fd.
        try (Child child = Child.start(List.of("--deny", "io_uring_register"), List.of(), "userpoll")) {
            assertTrue(child.selected.startsWith("userpoll:"), child.output());
            child.assertEchoes();
            System.out.println("[restricted] io_uring_register refused: " + child.selected + ' ' + child.submitter);
        }
    }

    @Test
    void tinyLockedMemoryLimitFallsBackWithACauseNamingItOrServes() throws Exception {
        try (Child child = Child.start(List.of("--memlock", "0"), List.of(), "userpoll:io_uring,userpoll:epoll")) {
            child.assertEchoes();
            System.out.println("[restricted] RLIMIT_MEMLOCK 0: " + child.selected + ' ' + child.submitter);
            Assumptions.assumeTrue(!child.selected.equals("userpoll:io_uring"), "this kernel ("
                    + System.getProperty("os.version") + ") does not charge io_uring rings to RLIMIT_MEMLOCK (Linux"
                    + " 5.12 and later charge the memory cgroup): the ring was created under a limit of 0 and served");
            assertEquals("userpoll:epoll", child.selected, child.output());
            child.assertCauseLoggedOnceAtInfo("RLIMIT_MEMLOCK", "ulimit -l");
        }
    }

    @Test
    void noNativeServesOnNio() throws Exception {
        try (Child child = Child.start(List.of(), List.of("-Dio.netty.transport.noNative=true"), null)) {
            assertEquals("nio", child.selected, child.output());
            child.assertCauseLoggedOnceAtInfo("noNative");
            child.assertEchoes();
        }
    }

    /** The child JVM, its selection and everything it printed. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private String selected;
        private String submitter;
        private int port;

        private Child(Process process) {
            this.process = process;
        }

        static Child start(List<String> launcherArgs, List<String> jvmArgs, String preference) throws Exception {
            Assumptions.assumeTrue(unbuildable == null, () -> unbuildable);
            List<String> cmd = new ArrayList<>();
            cmd.add(LAUNCHER.toAbsolutePath().toString());
            cmd.addAll(launcherArgs);
            cmd.add("--");
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("-Dlogback.level=INFO");
            cmd.addAll(jvmArgs);
            cmd.add(ChildEchoServer.class.getName());
            if (preference != null) {
                cmd.add(preference);
            }
            Child child = new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
            CompletableFuture<Void> ready = new CompletableFuture<>();
            Thread reader = new Thread(() -> child.read(ready), "child-output");
            reader.setDaemon(true);
            reader.start();
            try {
                ready.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                child.close();
                if (child.process.exitValue() == CANNOT) {
                    Assumptions.abort("this machine cannot: " + child.output());
                }
                throw new AssertionError("the child server did not start: " + child.output(), e);
            }
            return child;
        }

        private void read(CompletableFuture<Void> ready) {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("SELECTED ")) {
                        String[] parts = line.split(" ");
                        selected = parts[1];
                        submitter = parts[2];
                    } else if (line.startsWith("PORT ")) {
                        port = Integer.parseInt(line.substring(5).trim());
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IOException("the child's output ended"));
        }

        String output() {
            return "child output:\n  " + String.join("\n  ", lines);
        }

        /** The selection's INFO line names every fragment, and it is the only line that mentions the first. */
        void assertCauseLoggedOnceAtInfo(String... fragments) {
            List<String> mentions = lines.stream().filter(l -> l.contains(fragments[0])).collect(Collectors.toList());
            assertEquals(1, mentions.size(), "lines naming " + fragments[0] + ": " + mentions + '\n' + output());
            String line = mentions.get(0);
            assertTrue(line.contains(" INFO ") && line.contains("chosen"), "not the selection's INFO line: " + line);
            for (String fragment : fragments) {
                assertTrue(line.contains(fragment), "the cause should name " + fragment + ": " + line);
            }
        }

        /** 64 KiB through the child's server, byte for byte. */
        void assertEchoes() throws IOException {
            byte[] data = EchoHarness.payload(port, 64 * 1024);
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                InputStream in = socket.getInputStream();
                out.write(data);
                out.flush();
                byte[] back = in.readNBytes(data.length);
                assertArrayEquals(data, back, "echo through " + selected);
            }
            assertNotEquals(0, port);
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close(); // the server's signal to stop
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("the child server did not stop when asked: " + output());
            }
        }
    }
}
