package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollDomainDatagramChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.unix.DomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.DatagramUnicastTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.Parameter;

import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Netty's {@link DatagramUnicastTest} (every send shape: direct, heap and composite buffers, with and without
 * bind, connected, empty datagrams, wrapped buffers) over {@link UserpollDomainDatagramChannel}, once per ring
 * source, with the Unix-domain packets and addresses Netty's epoll module uses for its own domain datagram channel;
 * plus a bind, and an exchange over abstract-namespace names.
 */
@EveryRingSource
public class UserpollDomainDatagramUnicastTest extends DatagramUnicastTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return UserpollDatagramTestPermutation.INSTANCE.domainDatagram(source);
    }

    @Override
    protected SocketAddress newSocketAddress() {
        return UserpollSocketTestPermutation.newDomainSocketAddress();
    }

    @Test
    public void testBind(TestInfo testInfo) throws Throwable {
        run(testInfo, (sb, cb) -> {
            Channel channel = cb.handler(new ChannelInboundHandlerAdapter()).bind(newSocketAddress()).sync().channel();
            try {
                assertInstanceOf(DomainSocketAddress.class, channel.localAddress());
            } finally {
                closeChannel(channel);
            }
        });
    }

    @Test
    public void testAbstractNamespaceEcho(TestInfo testInfo) throws Throwable {
        run(testInfo, (sb, cb) -> {
            BlockingQueue<DomainDatagramPacket> received = new LinkedBlockingQueue<>();
            Channel server = sb.handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket msg) {
                    ctx.writeAndFlush(new DomainDatagramPacket(msg.content().retain(), msg.sender()));
                }
            }).bind(UserpollSocketTestPermutation.newAbstractDomainSocketAddress()).sync().channel();
            Channel client = cb.handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket msg) {
                    received.add(msg.retain());
                }
            }).bind(UserpollSocketTestPermutation.newAbstractDomainSocketAddress()).sync().channel();
            try {
                DomainSocketAddress serverAddress = (DomainSocketAddress) server.localAddress();
                for (int i = 0; i < 10; i++) {
                    client.write(new DomainDatagramPacket(Unpooled.copyInt(i), serverAddress));
                }
                client.flush();
                for (int i = 0; i < 10; i++) {
                    DomainDatagramPacket echo = received.poll(10, TimeUnit.SECONDS);
                    assertNotNull(echo, "echo " + i);
                    try {
                        assertEquals(i, echo.content().readInt());
                        assertEquals(serverAddress, echo.sender());
                        assertEquals(client.localAddress(), echo.recipient());
                    } finally {
                        echo.release();
                    }
                }
            } finally {
                closeChannel(client);
                closeChannel(server);
            }
        });
    }

    @Override
    protected boolean supportDisconnect() {
        return false;
    }

    @Override
    protected boolean isConnected(Channel channel) {
        return ((DomainDatagramChannel) channel).isConnected();
    }

    @Override
    protected Channel setupClientChannel(Bootstrap cb, byte[] bytes, CountDownLatch latch,
                                         AtomicReference<Throwable> errorRef) throws Throwable {
        cb.handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
            @Override
            public void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket msg) {
                try {
                    assertContent(bytes, msg.content());
                    assertEquals(ctx.channel().localAddress(), msg.recipient());
                } finally {
                    latch.countDown();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errorRef.compareAndSet(null, cause);
            }
        });
        return cb.bind(newSocketAddress()).sync().channel();
    }

    @Override
    protected Channel setupServerChannel(Bootstrap sb, byte[] bytes, SocketAddress sender, CountDownLatch latch,
                                         AtomicReference<Throwable> errorRef, boolean echo) throws Throwable {
        sb.handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
            @Override
            public void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket msg) {
                try {
                    if (sender == null) {
                        assertNotNull(msg.sender());
                    } else {
                        assertEquals(sender, msg.sender());
                    }
                    assertContent(bytes, msg.content());
                    assertEquals(ctx.channel().localAddress(), msg.recipient());
                    if (echo) {
                        ctx.writeAndFlush(new DomainDatagramPacket(msg.content().retainedDuplicate(), msg.sender()));
                    }
                } finally {
                    latch.countDown();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errorRef.compareAndSet(null, cause);
            }
        });
        return sb.bind(newSocketAddress()).sync().channel();
    }

    private static void assertContent(byte[] bytes, ByteBuf buf) {
        assertEquals(bytes.length, buf.readableBytes());
        for (int i = 0; i < bytes.length; i++) {
            assertEquals(bytes[i], buf.getByte(buf.readerIndex() + i));
        }
    }

    @Override
    protected ChannelFuture write(Channel cc, ByteBuf buf, SocketAddress remote, WrapType wrapType) {
        DomainSocketAddress to = (DomainSocketAddress) remote;
        switch (wrapType) {
            case DUP:
                return cc.write(new DomainDatagramPacket(buf.retainedDuplicate(), to));
            case SLICE:
                return cc.write(new DomainDatagramPacket(buf.retainedSlice(), to));
            case READ_ONLY:
                return cc.write(new DomainDatagramPacket(buf.retain().asReadOnly(), to));
            case NONE:
                return cc.write(new DomainDatagramPacket(buf.retain(), to));
            default:
                throw new Error("unexpected wrap type: " + wrapType);
        }
    }
}
