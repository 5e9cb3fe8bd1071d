package dev.userpoll.transport;

import dev.userpoll.transport.internal.UserpollProperties;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop configuration: defaults, validation, and what the {@code userpoll.*} settings turn into. */
class UserpollIoHandlerConfigTest {
    private final Map<String, String> properties = new HashMap<>();
    private final Map<String, String> environment = new HashMap<>();

    private UserpollIoHandlerConfig fromSettings() {
        return UserpollIoHandlerConfig.fromProperties(new UserpollProperties(properties::get, environment::get));
    }

    @Test
    void aNewConfigHoldsTheBuiltInDefaults() {
        UserpollIoHandlerConfig c = new UserpollIoHandlerConfig();
        assertNull(c.getRingSource(), "best available");
        assertEquals(4096, c.getRingSize());
        assertSame(IdlePolicy.PARK, c.getIdlePolicy());
        assertNull(c.getIoSubmitter(), "best available");
        assertEquals(50, c.getBatchParkWindowMicros());
        assertEquals(256, c.getBatchEntries());
        assertNull(c.getIoUringSetupFlags(), "by idle policy");
    }

    @Test
    void settersRejectWhatNoLoopCouldUse() {
        UserpollIoHandlerConfig c = new UserpollIoHandlerConfig();
        assertThrows(IllegalArgumentException.class, () -> c.setRingSize(0));
        assertThrows(IllegalArgumentException.class, () -> c.setRingSize(UserpollIoHandlerConfig.MAX_RING_SIZE + 1));
        assertThrows(NullPointerException.class, () -> c.setIdlePolicy(null));
        assertThrows(IllegalArgumentException.class, () -> c.setBatchParkWindowMicros(-1));
        assertThrows(IllegalArgumentException.class, () -> c.setBatchEntries(0));
        assertThrows(IllegalArgumentException.class,
                () -> c.setBatchEntries(UserpollIoHandlerConfig.MAX_BATCH_ENTRIES + 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.setIoUringSetupFlags("coop,defer"));
        assertTrue(e.getMessage().contains("'defer'") && e.getMessage().contains("coop, taskrun"), e.getMessage());
        // A rejected value leaves the config as it was.
        assertEquals(4096, c.getRingSize());
        assertNull(c.getIoUringSetupFlags());
        assertEquals("coop,taskrun", c.setIoUringSetupFlags("coop,taskrun").getIoUringSetupFlags());
    }

    @Test
    void everySettingIsReadUnderTheUserpollPrefixPropertyBeforeEnvironment() {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        properties.put("userpoll.ringSource", "epoll");
        properties.put("userpoll.ringSize", "512");
        environment.put("USERPOLL_RING_SIZE", "1024");
        environment.put("USERPOLL_IDLE_SPIN", "50us");
        properties.put("userpoll.ioSubmitter", "direct");
        properties.put("userpoll.batch.parkWindowMicros", "0");
        environment.put("USERPOLL_BATCH_ENTRIES", "64");
        properties.put("userpoll.ioUring.setupFlags", "coop,taskrun");
        UserpollIoHandlerConfig c = fromSettings();
        assertSame(RingSourceKind.EPOLL, c.getRingSource());
        assertEquals(512, c.getRingSize(), "the property wins over the environment");
        assertEquals(50_000, c.getIdlePolicy().spinNanos());
        assertSame(IoSubmitter.DIRECT, c.getIoSubmitter());
        assertEquals(0, c.getBatchParkWindowMicros());
        assertEquals(64, c.getBatchEntries());
        assertEquals("coop,taskrun", c.getIoUringSetupFlags());
    }

    @Test
    void theOldPrefixIsNotReadAnyMore() {
        properties.put("dev.userpoll.ioUring.setupFlags", "taskrun");
        assertNull(fromSettings().getIoUringSetupFlags());
    }

    @Test
    void aMalformedSettingIsAnErrorNamingIt() {
        properties.put("userpoll.batch.parkWindowMicros", "-5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, this::fromSettings);
        assertTrue(e.getMessage().contains("system property userpoll.batch.parkWindowMicros"), e.getMessage());
        properties.clear();

        environment.put("USERPOLL_IO_URING_SETUP_FLAGS", "defer");
        e = assertThrows(IllegalArgumentException.class, this::fromSettings);
        assertTrue(e.getMessage().contains("environment variable USERPOLL_IO_URING_SETUP_FLAGS"), e.getMessage());
        environment.clear();

        properties.put("userpoll.batch.entries", "lots");
        e = assertThrows(IllegalArgumentException.class, this::fromSettings);
        assertTrue(e.getMessage().contains("userpoll.batch.entries") && e.getMessage().contains("32768"),
                e.getMessage());
    }

    @Test
    void aFactoryKeepsTheConfigItWasMadeFrom() throws Exception {
        TestRingSources.assumeAvailable(RingSourceKind.EPOLL);
        UserpollIoHandlerConfig config = new UserpollIoHandlerConfig()
                .setRingSource(RingSourceKind.EPOLL).setIoSubmitter(IoSubmitter.DIRECT);
        IoHandlerFactory factory = UserpollIoHandler.newFactory(config);
        config.setRingSource(RingSourceKind.USERPOLL); // later changes reach no loop of this factory
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            Channel listener = EchoHarness.startEchoServer(group, sb -> { });
            assertTrue(EchoHarness.echoOnce(group, listener, EchoHarness.payload(1, 1000), b -> { })
                    .get(10, TimeUnit.SECONDS));
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void theReadmeTableListsEverySetting() throws IOException, IllegalAccessException {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (Field f : UserpollProperties.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
                String name = (String) f.get(null);
                assertTrue(name.startsWith("userpoll.") || name.startsWith("USERPOLL_"), name);
                assertTrue(readme.contains("| `" + name + "` |"), "README's settings table lacks " + name);
            }
        }
    }
}
