package dev.userpoll.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code TCP_INFO} of a connection, and the TCP Fast Open availability read from the kernel's switch. */
class UserpollTcpInfoTest {
    private static final int TCP_ESTABLISHED = 1;

    @Test
    void tcpInfoOfAConnection() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, UserpollIoHandler.newFactory());
        try {
            Channel server = EchoHarness.startEchoServer(group, sb -> { });
            UserpollSocketChannel client = (UserpollSocketChannel) new Bootstrap().group(group)
                    .channel(UserpollSocketChannel.class).handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            UserpollTcpInfo info = client.tcpInfo();
            assertEquals(TCP_ESTABLISHED, info.state(), info.toString());
            assertTrue(info.sndMss() > 0 && info.advmss() > 0 && info.sndCwnd() > 0, info.toString());
            assertTrue(info.rto() > 0, "a retransmission timeout is always set: " + info);
            assertSame(info, client.tcpInfo(info), "the holder is refilled, not replaced");
            client.close().sync();
            assertThrows(ChannelException.class, client::tcpInfo, "a closed channel has no TCP_INFO");
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void fastOpenAvailabilityFollowsTheKernelSwitch() throws Exception {
        int mode = TcpFastOpenMode.read(TcpFastOpenMode.PROC_FILE);
        assertEquals((mode & 1) != 0, Userpoll.isTcpFastOpenClientSideAvailable(), "tcp_fastopen=" + mode);
        assertEquals((mode & 2) != 0, Userpoll.isTcpFastOpenServerSideAvailable(), "tcp_fastopen=" + mode);
    }

    @Test
    void fastOpenModeFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tcp_fastopen");
        Files.writeString(file, "3\n");
        assertEquals(3, TcpFastOpenMode.read(file));
        Files.writeString(file, "garbage");
        assertEquals(0, TcpFastOpenMode.read(file), "unparsable: off");
        assertEquals(0, TcpFastOpenMode.read(dir.resolve("missing")), "unreadable: off");
    }
}
