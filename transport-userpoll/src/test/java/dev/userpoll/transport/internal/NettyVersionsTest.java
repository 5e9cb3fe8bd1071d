package dev.userpoll.transport.internal;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supported Netty range: any 4.2.x from the tested minimum; the message names every version outside it. */
class NettyVersionsTest {
    @Test
    void theBuildRecordsItsVersions() {
        assertEquals(System.getProperty("userpoll.test.nettyMinimum", "4.2.9.Final"), NettyVersions.MINIMUM);
        assertTrue(NettyVersions.BUILT_AGAINST.startsWith("4.2."), NettyVersions.BUILT_AGAINST);
        assertTrue(!NettyVersions.TRANSPORT_VERSION.contains("${"), NettyVersions.TRANSPORT_VERSION);
        assertNull(NettyVersions.unsupportedCause(), "the test class path's own Netty");
    }

    @Test
    void every42FromTheMinimumIsAccepted() {
        assertNull(NettyVersions.unsupportedCause(Map.of("netty-transport", "4.2.9.Final",
                "netty-transport-native-unix-common", "4.2.9.Final")));
        assertNull(NettyVersions.unsupportedCause(Map.of("netty-transport", "4.2.21.Final")));
        // Mixed 4.2 versions: a warning, not a refusal.
        assertNull(NettyVersions.unsupportedCause(Map.of("netty-common", "4.2.18.Final",
                "netty-transport-native-unix-common", "4.2.15.Final")));
        assertNull(NettyVersions.unsupportedCause(Map.of("netty-common", "custom-build")));
    }

    @Test
    void olderOrOtherLinesAreRefusedByName() {
        Throwable old42 = NettyVersions.unsupportedCause(Map.of("netty-transport", "4.2.5.Final",
                "netty-common", "4.2.18.Final"));
        assertNotNull(old42);
        assertTrue(old42.getMessage().contains("netty-transport 4.2.5.Final"), old42.getMessage());
        assertTrue(!old42.getMessage().contains("netty-common"), old42.getMessage());
        assertTrue(old42.getMessage().contains("needs Netty " + NettyVersions.MINIMUM), old42.getMessage());
        Throwable v41 = NettyVersions.unsupportedCause(Map.of("netty-common", "4.1.137.Final"));
        assertTrue(v41.getMessage().contains("netty-common 4.1.137.Final"), v41.getMessage());
        assertNotNull(NettyVersions.unsupportedCause(Map.of("netty-common", "5.0.0.Alpha5")));
    }
}
