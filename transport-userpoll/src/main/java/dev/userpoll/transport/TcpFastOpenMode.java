package dev.userpoll.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The kernel's TCP Fast Open switch, {@code net.ipv4.tcp_fastopen}, read once (the first time it is asked): bit 0
 * enables the client side, bit 1 the server side ({@code man 7 tcp}). Unreadable (no procfs, another OS) is "off".
 */
final class TcpFastOpenMode {
    static final Path PROC_FILE = Paths.get("/proc/sys/net/ipv4/tcp_fastopen");
    static final int CLIENT = 1;
    static final int SERVER = 2;

    /** The mode this JVM read. */
    static final int MODE = read(PROC_FILE);

    private TcpFastOpenMode() {
    }

    /** The mode in {@code file}, 0 when it cannot be read or parsed. */
    static int read(Path file) {
        try {
            return Integer.parseInt(new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return 0;
        }
    }
}
