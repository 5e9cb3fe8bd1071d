package dev.userpoll.examples;

import dev.userpoll.transport.SelectedTransport;
import dev.userpoll.transport.TransportSelector;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The UDP example end to end: for each transport choice this machine has (this transport's with both I/O
 * submitters), {@code udp-echo-server} in its own process, {@code udp-echo-client} on the same transport
 * exchanging numbered datagrams whose every byte it checks, then SIGTERM; the server reports what it echoed.
 */
class UdpEchoEndToEndIT {
    private static final Pattern BOUND = Pattern.compile(
            "udp-echo-server bound to 127\\.0\\.0\\.1:(\\d+) transport=(\\S+) .* channel=(\\S+)");
    private static final Pattern SUMMARY = Pattern.compile(
            "udp-echo-client sent=(\\d+) received=(\\d+) lost=(\\d+) .* mismatches=(\\d+) duplicates=(\\d+) .*");
    private static final int DATAGRAMS = 10_000;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"userpoll:userpoll", "userpoll:io_uring@direct", "userpoll:io_uring@batched",
            "userpoll:epoll@direct", "userpoll:epoll@batched", "netty-epoll", "netty-io_uring", "nio"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void echoesOnEachTransport(String arm) throws Exception {
        String transport = arm.contains("@") ? arm.substring(0, arm.indexOf('@')) : arm;
        List<String> jvm = arm.contains("@")
                ? List.of("-Duserpoll.ioSubmitter=" + arm.substring(arm.indexOf('@') + 1)) : List.of();
        SelectedTransport expected = availableOrSkip(transport);
        long t0 = System.nanoTime();
        try (ExampleProcess server = ExampleProcess.start(jvm, Map.of(),
                "udp-echo-server", "--port", "0", "--transport", transport, "--max-datagram", "8192")) {
            Matcher bound = BOUND.matcher(server.awaitLine(l -> l.startsWith("udp-echo-server bound"), 60));
            assertTrue(bound.matches(), server.describe());
            assertEquals(transport, bound.group(2));
            assertEquals(expected.datagramChannelClass().getSimpleName(), bound.group(3));

            for (int size : new int[] {64, 8_000}) {
                List<String> args = List.of("udp-echo-client", "--port", bound.group(1), "--transport", transport,
                        "--datagrams", Integer.toString(DATAGRAMS), "--size", Integer.toString(size),
                        "--window", "64", "--max-loss", "1", "--timeout", "60");
                try (ExampleProcess client = ExampleProcess.start(jvm, Map.of(), args.toArray(new String[0]))) {
                    assertEquals(0, client.awaitExit(90), client.describe());
                    Matcher m = SUMMARY.matcher(client.stdout());
                    assertTrue(m.find(), client.describe());
                    System.out.println(arm + ": " + m.group());
                    assertEquals(DATAGRAMS, Integer.parseInt(m.group(1)));
                    assertEquals("0", m.group(4), "every echo carries the bytes sent");
                    assertEquals("0", m.group(5), "no echo twice");
                }
            }

            server.terminate();
            assertEquals(143, server.awaitExit(30), server.describe());
            assertTrue(server.stdout().contains("udp-echo-server stopped after echoing "), server.describe());
        }
        System.out.printf(Locale.ROOT, "%s: UDP end to end in %.1f s%n", arm, (System.nanoTime() - t0) / 1e9);
    }

    private static SelectedTransport availableOrSkip(String transport) {
        try {
            return TransportSelector.select(transport);
        } catch (IllegalStateException e) {
            assumeTrue(false, transport + " is unavailable here: " + e.getMessage());
            throw e;
        }
    }
}
