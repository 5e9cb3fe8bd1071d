package dev.userpoll.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.DefaultAddressedEnvelope;
import io.netty.channel.unix.DomainDatagramChannel;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.internal.StringUtil;

import java.net.SocketAddress;

/**
 * A Unix-domain datagram channel ({@code AF_UNIX, SOCK_DGRAM}) served by a {@link UserpollIoHandler}, as Netty's
 * {@code EpollDomainDatagramChannel}: reads and writes {@link DomainDatagramPacket}s (and
 * {@code AddressedEnvelope<ByteBuf, DomainSocketAddress>}s, plain {@link ByteBuf}s once connected), bound to a path
 * or an abstract-namespace name (a {@link DomainSocketAddress} whose path starts with NUL). The datagram machinery
 * is the UDP channel's ({@link AbstractUserpollDatagramChannel}): {@code recvmsg}/{@code sendmmsg} at once or
 * {@code RECVMSG}/{@code SENDMSG} in the loop's batch. A sender that never bound has the empty path.
 * <pre>{@code
 * new Bootstrap().group(group).channel(UserpollDomainDatagramChannel.class).handler(h)
 *         .bind(new DomainSocketAddress("/run/app.sock"));
 * }</pre>
 */
public final class UserpollDomainDatagramChannel extends AbstractUserpollDatagramChannel
        implements DomainDatagramChannel {
    private static final String EXPECTED_TYPES = " (expected: "
            + StringUtil.simpleClassName(DomainDatagramPacket.class) + ", "
            + StringUtil.simpleClassName(AddressedEnvelope.class) + '<' + StringUtil.simpleClassName(ByteBuf.class)
            + ", " + StringUtil.simpleClassName(DomainSocketAddress.class) + ">, "
            + StringUtil.simpleClassName(ByteBuf.class) + ')';

    private final UserpollDomainDatagramChannelConfig config;

    /** A new Unix-domain datagram socket. */
    public UserpollDomainDatagramChannel() {
        this(UserpollSocket.newDomainDatagram(), false);
    }

    /** A channel on an existing Unix-domain datagram socket (inherited, socket activation); it is taken over. */
    public UserpollDomainDatagramChannel(int fd) {
        this(UserpollSocket.inherited(fd), true);
    }

    private UserpollDomainDatagramChannel(UserpollSocket socket, boolean active) {
        super(socket, false, active);
        config = new UserpollDomainDatagramChannelConfig(this, socket);
    }

    @Override
    SocketAddress readLocalAddress() {
        return socket.localDomainSocketAddress();
    }

    @Override
    SocketAddress readRemoteAddress() {
        return socket.remoteDomainSocketAddress();
    }

    @Override
    public UserpollDomainDatagramChannelConfig config() {
        return config;
    }

    @Override
    public DomainSocketAddress localAddress() {
        return (DomainSocketAddress) super.localAddress();
    }

    @Override
    public DomainSocketAddress remoteAddress() {
        return (DomainSocketAddress) super.remoteAddress();
    }

    @Override
    boolean activeOnOpen() {
        return config.getActiveOnOpen();
    }

    @Override
    int maxDatagramPayloadSize() {
        return 0;
    }

    @Override
    boolean wantsControlMessages() {
        return false;
    }

    @Override
    boolean recipientIsOriginalDestination() {
        return false;
    }

    @Override
    Object newPacket(ByteBuf content, SocketAddress recipient, SocketAddress sender) {
        return new DomainDatagramPacket(content, (DomainSocketAddress) recipient, (DomainSocketAddress) sender);
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof DomainDatagramPacket) {
            DomainDatagramPacket packet = (DomainDatagramPacket) msg;
            ByteBuf content = packet.content();
            return needsCopy(content) ? new DomainDatagramPacket(newDirectBuffer(packet, content), packet.recipient())
                    : msg;
        }
        if (msg instanceof ByteBuf) {
            ByteBuf buf = (ByteBuf) msg;
            return needsCopy(buf) ? newDirectBuffer(buf) : buf;
        }
        if (msg instanceof AddressedEnvelope) {
            @SuppressWarnings("unchecked")
            AddressedEnvelope<Object, SocketAddress> e = (AddressedEnvelope<Object, SocketAddress>) msg;
            if (e.content() instanceof ByteBuf
                    && (e.recipient() == null || e.recipient() instanceof DomainSocketAddress)) {
                ByteBuf content = (ByteBuf) e.content();
                return needsCopy(content) ? new DefaultAddressedEnvelope<>(newDirectBuffer(e, content),
                        (DomainSocketAddress) e.recipient()) : e;
            }
        }
        throw new UnsupportedOperationException(
                "unsupported message type: " + StringUtil.simpleClassName(msg) + EXPECTED_TYPES);
    }
}
