package dev.userpoll.transport;

import io.netty.channel.ChannelOption;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.UnixChannelOption;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Unix-domain channels' configurations: their options reach the socket, and TCP's are not theirs. */
class UserpollDomainSocketConfigTest {

    @Test
    void domainSocketOptions() throws Exception {
        UserpollDomainSocketChannel channel = new UserpollDomainSocketChannel();
        try {
            UserpollDomainSocketChannelConfig config = channel.config();
            assertSame(DomainSocketReadMode.BYTES, config.getReadMode(), "bytes by default");
            assertTrue(config.setOption(UnixChannelOption.DOMAIN_SOCKET_READ_MODE,
                    DomainSocketReadMode.FILE_DESCRIPTORS));
            assertSame(DomainSocketReadMode.FILE_DESCRIPTORS,
                    config.getOption(UnixChannelOption.DOMAIN_SOCKET_READ_MODE));
            assertThrows(NullPointerException.class, () -> config.setReadMode(null));

            assertTrue(config.setOption(ChannelOption.SO_SNDBUF, 64 * 1024));
            int sndbuf = config.getOption(ChannelOption.SO_SNDBUF);
            assertTrue(sndbuf >= 64 * 1024, "the kernel doubles what it is given: " + sndbuf);
            assertEquals(2L * sndbuf, config.getMaxBytesPerGatheringWrite(), "the write bound follows SO_SNDBUF");
            assertTrue(config.setOption(ChannelOption.SO_RCVBUF, 64 * 1024));
            assertTrue(config.getOption(ChannelOption.SO_RCVBUF) >= 64 * 1024);

            assertFalse(config.isAllowHalfClosure());
            assertTrue(config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true));
            assertTrue(config.getOption(ChannelOption.ALLOW_HALF_CLOSURE));

            Map<ChannelOption<?>, Object> all = config.getOptions();
            assertEquals(DomainSocketReadMode.FILE_DESCRIPTORS, all.get(UnixChannelOption.DOMAIN_SOCKET_READ_MODE));
            assertTrue(all.containsKey(ChannelOption.SO_SNDBUF) && all.containsKey(ChannelOption.SO_RCVBUF));

            assertFalse(config.setOption(ChannelOption.TCP_NODELAY, true), "a TCP option is not a domain socket's");
            assertNull(config.getOption(ChannelOption.TCP_NODELAY));
        } finally {
            channel.unsafe().closeForcibly();
        }
    }

    @Test
    void serverDomainSocketOptions() {
        UserpollServerDomainSocketChannel channel = new UserpollServerDomainSocketChannel();
        try {
            UserpollServerDomainSocketChannelConfig config = channel.config();
            assertTrue(config.setOption(ChannelOption.SO_BACKLOG, 7));
            assertEquals(7, config.getOption(ChannelOption.SO_BACKLOG));
            assertThrows(IllegalArgumentException.class, () -> config.setBacklog(-1));
            assertTrue(config.setOption(ChannelOption.SO_RCVBUF, 64 * 1024));
            assertTrue(config.getOption(ChannelOption.SO_RCVBUF) >= 64 * 1024);
            assertFalse(config.setOption(ChannelOption.TCP_FASTOPEN, 5), "a TCP option is not a domain server's");
            assertTrue(config.getOptions().containsKey(ChannelOption.SO_BACKLOG));
        } finally {
            channel.unsafe().closeForcibly();
        }
    }
}
