package dev.userpoll.transport;

import dev.userpoll.transport.ring.RingTestSockets;
import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After a run and a shutdown, the process has the fds and direct memory it started with, and Netty's
 * leak detector (at paranoid) reported nothing.
 */
class UserpollResourceTest {

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void fdsAndDirectMemoryReturnToTheirStartAndNothingLeaks(TestRingSources.Source source) throws Exception {
        source.assumeAvailable();
        ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ConcurrentLinkedQueue<String> leaks = new ConcurrentLinkedQueue<>();
        ResourceLeakDetector<?> detector = byteBufLeakDetector();
        detector.setLeakListener((resourceType, records) -> leaks.add(resourceType + ": " + records));
        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(true, false, false);
        try {
            runWorkload(source, alloc, 2); // warm-up: loads every class (and opens its jar) before we count
            settle();
            Set<String> fdsBefore = RingTestSockets.openFds();
            long jdkDirectBefore = jdkDirectMemory();

            runWorkload(source, alloc, 50);

            settle();
            assertEquals(0, alloc.metric().usedDirectMemory(), "direct memory of the channels' buffers");
            assertEquals(jdkDirectBefore, jdkDirectMemory(), "JDK direct memory (iov arrays, event arrays)");
            Set<String> fdsAdded = RingTestSockets.openFds();
            fdsAdded.removeAll(fdsBefore);
            // A class loaded for the first time opens its jar and the class loader keeps it: not the transport's fd.
            fdsAdded.removeIf(fd -> fd.endsWith(".jar"));
            assertEquals(Set.of(), fdsAdded, "fds left open after shutdown");
            // Leaks are reported when a tracked buffer is collected and a later one is tracked: provoke it.
            for (int i = 0; i < 100; i++) {
                alloc.directBuffer(16).release();
            }
            assertTrue(leaks.isEmpty(), "leaks: " + leaks);
        } finally {
            detector.setLeakListener(null);
            ResourceLeakDetector.setLevel(level);
        }
    }

    private static void runWorkload(TestRingSources.Source source, UnpooledByteBufAllocator alloc, int connections)
            throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, source.ioHandlerFactory());
        Channel listener = EchoHarness.startEchoServer(group, sb -> sb
                .option(ChannelOption.ALLOCATOR, alloc).childOption(ChannelOption.ALLOCATOR, alloc));
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            results.add(EchoHarness.echoOnce(group, listener, EchoHarness.payload(i, 200_000),
                    b -> b.option(ChannelOption.ALLOCATOR, alloc)));
        }
        for (CompletableFuture<Boolean> r : results) {
            assertTrue(r.get(60, TimeUnit.SECONDS));
        }
        // Leave channels open on purpose: shutting the group down must close them and free their fds.
        group.shutdownGracefully(0, 15, TimeUnit.SECONDS).sync();
        assertTrue(listener.closeFuture().await(15, TimeUnit.SECONDS), "shutdown closed the listener");
    }

    @SuppressWarnings("unchecked")
    private static ResourceLeakDetector<?> byteBufLeakDetector() throws Exception {
        Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
        f.setAccessible(true);
        return (ResourceLeakDetector<?>) f.get(null);
    }

    private static void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
    }

    private static long jdkDirectMemory() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if ("direct".equals(pool.getName())) {
                return pool.getMemoryUsed();
            }
        }
        return -1;
    }

}
