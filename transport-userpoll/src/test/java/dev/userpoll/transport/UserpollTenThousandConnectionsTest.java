package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingTestSockets;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10,000 concurrent connections (their client ends in a child JVM, so neither process nears its fd limit) with
 * traffic on 300 of them; half are closed by the peer, then the server's loops are shut down with the other half
 * open. The idle loops burn nothing while holding them, and afterwards the process has exactly the fds it started
 * with (sockets, ring fds, eventfds) and the direct memory, and no buffer is left allocated.
 *
 * <p>Run on three sources that between them cover each ring kind and both submitters ({@code io_uring+batched},
 * {@code epoll}, userpoll over the emulated kernel, v5): each run opens 10,000 connections, and every source would
 * add its time to the test command for what these three already show.
 */
class UserpollTenThousandConnectionsTest {
    private static final int CONNECTIONS = 10_000;
    private static final int ACTIVE = 300;
    private static final Set<String> SOURCES = Set.of("io_uring+batched", "epoll", "userpoll-emulated-v5");
    private static final AtomicInteger LOOPS = new AtomicInteger();

    static Stream<TestRingSources.Source> sources() {
        return TestRingSources.all().filter(s -> SOURCES.contains(s.toString()));
    }

    @ParameterizedTest
    @MethodSource("sources")
    void tenThousandConnectionsAreHeldServedAndReleased(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        long fdLimit = RingTestSockets.openFdLimit();
        // The JVM raises its soft limit to the hard one at start (-XX:+MaxFDLimit, the default on Linux).
        Assumptions.assumeTrue(fdLimit >= CONNECTIONS + 1_000,
                () -> "RLIMIT_NOFILE is " + fdLimit + ": too low to hold " + CONNECTIONS + " connections");
        UserpollHostilePeersTest.warmUpJdkSockets();
        System.gc();
        Set<String> fdsBefore = RingTestSockets.openFds();
        long jdkDirectBefore = ProcessProbe.jdkDirectMemory();
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, false, false);
        String loopName = "tenk" + LOOPS.incrementAndGet() + '-';
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory(loopName, true),
                source.ioHandlerFactory(16_384)); // a userpoll item table per loop with room for its half
        Set<Channel> children = ConcurrentHashMap.newKeySet();
        Process client = null;
        try {
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.ALLOCATOR, alloc)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            children.add(ch);
                            ch.pipeline().addLast(EchoHarness.Echo.INSTANCE);
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            int port = ((InetSocketAddress) listener.localAddress()).getPort();
            long start = System.nanoTime();
            client = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "-Xss256k", ChildConnector.class.getName(),
                    "127.0.0.1", String.valueOf(port), String.valueOf(CONNECTIONS), String.valueOf(ACTIVE), "10")
                    .redirectErrorStream(true).start();
            BlockingQueue<String> lines = readLines(client);
            expect(lines, "CONNECTED " + CONNECTIONS, 120);
            expect(lines, "TRAFFIC ok", 60);
            waitFor(() -> children.size() == CONNECTIONS, 30, () -> "accepted " + children.size());
            long connectMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            int socketsHeld = ProcessProbe.socketFds();
            long heldDirect = ProcessProbe.jdkDirectMemory();

            Thread.sleep(100);
            long ticksBefore = ProcessProbe.threadsCpuTicks(loopName);
            Thread.sleep(1_000);
            long idleTicks = ProcessProbe.threadsCpuTicks(loopName) - ticksBefore;
            assertTrue(idleTicks <= 10, "two loops holding " + CONNECTIONS + " idle connections: " + idleTicks
                    + " ticks in 1 s");

            Writer toClient = new OutputStreamWriter(client.getOutputStream(), StandardCharsets.UTF_8);
            toClient.write("close " + CONNECTIONS / 2 + "\n");
            toClient.flush();
            expect(lines, "CLOSED " + CONNECTIONS / 2, 60);
            waitFor(() -> openCount(children) == CONNECTIONS / 2, 30,
                    () -> openCount(children) + " open after the peer closed half");

            // Shut the loops down with the other half open: every channel closes, every fd and buffer goes.
            group.shutdownGracefully(0, 15, TimeUnit.SECONDS).sync();
            assertEquals(0, openCount(children), "channels left open by the shutdown");
            assertTrue(listener.closeFuture().isDone());
            stop(client); // its pipes are fds of ours until it is gone
            client = null;
            System.gc();
            Thread.sleep(100);
            Set<String> fdsAdded = RingTestSockets.openFds();
            fdsAdded.removeAll(fdsBefore);
            fdsAdded.removeIf(fd -> fd.endsWith(".jar") || fd.contains("/surefire") || fd.contains("/tmp/"));
            assertEquals(Set.of(), fdsAdded, "fds left after the shutdown");
            assertEquals(0, alloc.metric().usedDirectMemory(), "buffer memory left after the shutdown");
            long jdkDirectAfter = ProcessProbe.jdkDirectMemory();
            // The JDK itself may take a byte or so on first use of something; a loop's iov or event array is kilobytes.
            assertTrue(Math.abs(jdkDirectAfter - jdkDirectBefore) < 1024,
                    "JDK direct memory (iov and event arrays): " + jdkDirectBefore + " B before, " + jdkDirectAfter);
            System.out.println("[10k] " + source + ": " + CONNECTIONS + " connections held (" + ACTIVE
                    + " x 10 echoes checked) after " + connectMillis + " ms; socket fds " + socketsHeld + " held, "
                    + ProcessProbe.socketFds() + " after; JDK direct memory " + jdkDirectBefore + " B before, "
                    + heldDirect
                    + " B held, " + jdkDirectAfter + " B after; buffers 0 B after; loops " + idleTicks
                    + " ticks in 1 s while holding them; half closed by the peer, half by the loop shutdown");
        } finally {
            if (!group.isShutdown()) {
                group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            }
            if (client != null) {
                stop(client);
            }
        }
    }

    /** Ends the client (end of its input) and closes our ends of its pipes. */
    private static void stop(Process client) throws Exception {
        client.getOutputStream().close();
        if (!client.waitFor(30, TimeUnit.SECONDS)) {
            client.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        client.getInputStream().close();
        client.getErrorStream().close();
    }

    private static long openCount(Set<Channel> channels) {
        return channels.stream().filter(Channel::isOpen).count();
    }

    private static BlockingQueue<String> readLines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignore) {
                // the child went away
            }
            lines.add("EOF");
        }, "child-connector-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static void expect(BlockingQueue<String> lines, String prefix, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        StringBuilder seen = new StringBuilder();
        while (System.nanoTime() < deadline) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || line.equals("EOF")) {
                break;
            }
            if (line.startsWith(prefix)) {
                return;
            }
            seen.append("\n  ").append(line);
        }
        throw new AssertionError("the client never said '" + prefix + "'; it said:" + seen);
    }

    private static void waitFor(BooleanSupplier condition, int seconds, Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, state);
            Thread.sleep(20);
        }
    }
}
