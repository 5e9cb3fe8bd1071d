package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollDomainSocketChannel;
import dev.userpoll.transport.UserpollServerDomainSocketChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.PeerCredentials;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * File descriptors passed over our Unix-domain channels ({@code SCM_RIGHTS}), once per ring source and submitter:
 * both directions in {@link DomainSocketReadMode#FILE_DESCRIPTORS} mode, their order with the bytes around them in
 * {@link DomainSocketReadMode#BYTES} mode, and no copy of a passed fd left behind (each passes the write end of a
 * pipe: the read end sees end of file only once every copy of the write end is closed). Also the peer's
 * credentials ({@code SO_PEERCRED}) on both ends.
 */
@EveryRingSource
@Timeout(value = 30, unit = TimeUnit.SECONDS)
public class UserpollDomainSocketFdTest {
    @Parameter
    TestRingSources.Source source;

    @Test
    public void fdsPassBothWays() throws Exception {
        EventLoopGroup group = UserpollSocketTestPermutation.workerGroup(source);
        SocketAddress address = UserpollSocketTestPermutation.newDomainSocketAddress();
        FileDescriptor[] toClient = FileDescriptor.pipe();
        FileDescriptor[] toServer = FileDescriptor.pipe();
        BlockingQueue<Object> serverGot = new LinkedBlockingQueue<>();
        BlockingQueue<Object> clientGot = new LinkedBlockingQueue<>();
        Channel server = new ServerBootstrap().group(group).channel(UserpollServerDomainSocketChannel.class)
                .childOption(UnixChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                .childHandler(new Collect(serverGot) {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        ctx.writeAndFlush(toClient[1]).addListener(f -> {
                            if (!f.isSuccess()) {
                                serverGot.add(f.cause());
                            }
                        });
                    }
                })
                .bind(address).sync().channel();
        Channel client = new Bootstrap().group(group).channel(UserpollDomainSocketChannel.class)
                .option(UnixChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                .handler(new Collect(clientGot)).connect(address).sync().channel();
        try {
            FileDescriptor atClient = received(clientGot);
            assertWritesInto(atClient, toClient[0], "to the client");
            client.writeAndFlush(toServer[1]).sync();
            FileDescriptor atServer = received(serverGot);
            assertWritesInto(atServer, toServer[0], "to the server");

            // Close the copies we know of (the one passed and the one received): nothing else may hold the pipe.
            atClient.close();
            atServer.close();
            toClient[1].close();
            toServer[1].close();
            assertEndOfFile(toClient[0]);
            assertEndOfFile(toServer[0]);
            assertNull(clientGot.poll());
            assertNull(serverGot.poll());
        } finally {
            client.close().sync();
            server.close().sync();
            closeAll(toClient);
            closeAll(toServer);
        }
    }

    @Test
    public void bytesModeKeepsTheOrderAndDropsThePassedFd() throws Exception {
        EventLoopGroup group = UserpollSocketTestPermutation.workerGroup(source);
        SocketAddress address = UserpollSocketTestPermutation.newDomainSocketAddress();
        FileDescriptor[] pipe = FileDescriptor.pipe();
        BlockingQueue<Object> clientGot = new LinkedBlockingQueue<>();
        Channel server = new ServerBootstrap().group(group).channel(UserpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        // One flush: bytes, an fd (with its one byte of data), bytes.
                        ctx.write(Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
                        ctx.write(pipe[1]);
                        ctx.writeAndFlush(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII));
                    }
                })
                .bind(address).sync().channel();
        Channel client = new Bootstrap().group(group).channel(UserpollDomainSocketChannel.class)
                .handler(new Collect(clientGot)).connect(address).sync().channel();
        try {
            assertEquals(DomainSocketReadMode.BYTES, ((UserpollDomainSocketChannel) client).config().getReadMode());
            ByteBuf all = Unpooled.buffer();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (all.readableBytes() < 11 && System.nanoTime() < deadline) {
                Object msg = clientGot.poll(100, TimeUnit.MILLISECONDS);
                if (msg instanceof Throwable) {
                    throw new AssertionError("the client failed", (Throwable) msg);
                }
                if (msg != null) {
                    ByteBuf buf = assertInstanceOf(ByteBuf.class, msg);
                    all.writeBytes(buf);
                    buf.release();
                }
            }
            assertEquals(11, all.readableBytes(), "hello + the fd's byte + world");
            assertEquals("hello", all.readCharSequence(5, StandardCharsets.US_ASCII).toString());
            all.skipBytes(1);
            assertEquals("world", all.readCharSequence(5, StandardCharsets.US_ASCII).toString());
            // A recv without room for control data makes the kernel drop the passed fd: only our copy is left.
            pipe[1].close();
            assertEndOfFile(pipe[0]);
        } finally {
            client.close().sync();
            server.close().sync();
            closeAll(pipe);
        }
    }

    @Test
    public void peerCredentialsOnBothEnds() throws Exception {
        EventLoopGroup group = UserpollSocketTestPermutation.workerGroup(source);
        SocketAddress address = UserpollSocketTestPermutation.newDomainSocketAddress();
        BlockingQueue<Object> accepted = new LinkedBlockingQueue<>();
        Channel server = new ServerBootstrap().group(group).channel(UserpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.add(ctx.channel());
                    }
                })
                .bind(address).sync().channel();
        UserpollDomainSocketChannel client = (UserpollDomainSocketChannel) new Bootstrap().group(group)
                .channel(UserpollDomainSocketChannel.class).handler(new ChannelInboundHandlerAdapter())
                .connect(address).sync().channel();
        try {
            UserpollDomainSocketChannel child = (UserpollDomainSocketChannel) accepted.poll(10, TimeUnit.SECONDS);
            assertNotNull(child, "accepted");
            int uid = currentUid();
            for (PeerCredentials cred : new PeerCredentials[] {child.peerCredentials(), client.peerCredentials()}) {
                assertEquals(ProcessHandle.current().pid(), cred.pid(), cred.toString());
                assertEquals(uid, cred.uid(), cred.toString());
                assertEquals(1, cred.gids().length, cred.toString());
            }
            assertEquals(address, client.remoteAddress());
            assertEquals(address, server.localAddress());
            client.close().sync();
            assertThrows(IOException.class, client::peerCredentials, "a closed channel has no peer");
        } finally {
            client.close().sync();
            server.close().sync();
        }
        assertFalse(Files.exists(Path.of(((io.netty.channel.unix.DomainSocketAddress) address).path())),
                "the server deletes the socket file it bound when it closes");
    }

    private static int currentUid() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no Uid line in /proc/self/status");
    }

    private static FileDescriptor received(BlockingQueue<Object> queue) throws Exception {
        Object msg = queue.poll(10, TimeUnit.SECONDS);
        if (msg instanceof Throwable) {
            throw new AssertionError("the peer failed", (Throwable) msg);
        }
        FileDescriptor fd = assertInstanceOf(FileDescriptor.class, msg, "a passed fd");
        assertTrue(fd.isOpen());
        return fd;
    }

    /** Writing into {@code writeEnd} (a received copy) reaches {@code readEnd}: the same pipe. */
    private static void assertWritesInto(FileDescriptor writeEnd, FileDescriptor readEnd, String what)
            throws Exception {
        byte[] sent = what.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer out = ByteBuffer.allocateDirect(sent.length).put(sent).flip();
        assertEquals(sent.length, writeEnd.write(out, 0, sent.length));
        ByteBuffer in = ByteBuffer.allocateDirect(64);
        int n = awaitRead(readEnd, in);
        byte[] got = new byte[n];
        in.get(0, got);
        assertArrayEquals(sent, got, what);
    }

    private static void assertEndOfFile(FileDescriptor readEnd) throws Exception {
        assertEquals(-1, awaitRead(readEnd, ByteBuffer.allocateDirect(16)),
                "end of file: no copy of the pipe's write end is left open");
    }

    /** Reads the non-blocking pipe until something (or end of file) arrives, for up to 10 s. */
    private static int awaitRead(FileDescriptor fd, ByteBuffer buf) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int n;
        while ((n = fd.read(buf, 0, buf.capacity())) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return n;
    }

    private static void closeAll(FileDescriptor[] fds) {
        for (FileDescriptor fd : fds) {
            try {
                fd.close();
            } catch (IOException ignore) {
                // closed by the test already
            }
        }
    }

    /** Queues what a channel reads (and its failures). */
    private static class Collect extends ChannelInboundHandlerAdapter {
        private final BlockingQueue<Object> queue;

        Collect(BlockingQueue<Object> queue) {
            this.queue = queue;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!queue.offer(msg)) {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            queue.add(cause);
            ctx.close();
        }
    }
}
