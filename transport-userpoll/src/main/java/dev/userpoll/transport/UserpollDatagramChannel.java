package dev.userpoll.transport;

import dev.userpoll.transport.io.Multicast;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultAddressedEnvelope;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.channel.unix.Socket;
import io.netty.util.internal.StringUtil;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.channels.UnresolvedAddressException;

import static io.netty.util.internal.ObjectUtil.checkNotNull;

/**
 * A UDP {@link DatagramChannel} served by a {@link UserpollIoHandler}: IPv4, IPv6 or dual stack, connected or not,
 * reading and writing {@link DatagramPacket}s and {@code AddressedEnvelope<ByteBuf, InetSocketAddress>}s (and plain
 * {@link ByteBuf}s once connected), with multicast (any-source and source-specific, block), {@code UDP_GRO} reads and
 * {@link SegmentedDatagramPacket} (UDP GSO) writes. Reads and writes go through the loop's submitter: at once with
 * {@code recvmmsg}/{@code sendmmsg} batches bounded by {@code maxMessagesPerRead}/{@code maxMessagesPerWrite}, or as
 * {@code IORING_OP_RECVMSG}/{@code SENDMSG} in the loop's batch. The read-session rules are {@link DatagramReads}'.
 * <pre>{@code
 * new Bootstrap().group(group).channel(UserpollDatagramChannel.class)   // or channelFactory(() -> new
 *         .handler(handler).bind(0);                                   //   UserpollDatagramChannel(INET6))
 * }</pre>
 */
public final class UserpollDatagramChannel extends AbstractUserpollDatagramChannel implements DatagramChannel {
    private static final String EXPECTED_TYPES = " (expected: " + StringUtil.simpleClassName(DatagramPacket.class)
            + ", " + StringUtil.simpleClassName(AddressedEnvelope.class) + '<'
            + StringUtil.simpleClassName(ByteBuf.class) + ", " + StringUtil.simpleClassName(InetSocketAddress.class)
            + ">, " + StringUtil.simpleClassName(ByteBuf.class) + ')';

    private final UserpollSocket datagramSocket;
    private final UserpollDatagramChannelConfig config;

    /** A UDP socket of the JVM's preferred family (IPv6, dual stack, where the host has it). */
    public UserpollDatagramChannel() {
        this((SocketProtocolFamily) null);
    }

    /** A UDP socket of {@code family} ({@code null}: the JVM's preferred one). */
    public UserpollDatagramChannel(SocketProtocolFamily family) {
        this(UserpollSocket.newDatagram(checkInet(family)), false);
    }

    /** A channel on an existing UDP socket, e.g. inherited through systemd socket activation; it is taken over. */
    public UserpollDatagramChannel(int fd) {
        this(UserpollSocket.inherited(fd), true);
    }

    private UserpollDatagramChannel(UserpollSocket socket, boolean active) {
        super(socket, socket.isIpv6(), active);
        this.datagramSocket = socket;
        config = new UserpollDatagramChannelConfig(this, socket);
        try {
            // As NIO: a socket receives the multicast groups it joined, not every group its host joined.
            socket.setIntOpt(dev.userpoll.transport.internal.Native.IPPROTO_IP,
                    dev.userpoll.transport.internal.DatagramConstants.IP_MULTICAST_ALL, 0);
        } catch (IOException ignore) {
            // an IPv6-only socket: IPv4 groups do not apply
        }
        if (socket.isIpv6()) {
            try {
                socket.setIntOpt(dev.userpoll.transport.internal.DatagramConstants.IPPROTO_IPV6,
                        dev.userpoll.transport.internal.DatagramConstants.IPV6_MULTICAST_ALL, 0);
            } catch (IOException ignore) {
                // before Linux 4.20 there is no IPV6_MULTICAST_ALL: the kernel's default stays
            }
        }
    }

    private static SocketProtocolFamily checkInet(SocketProtocolFamily family) {
        if (family == SocketProtocolFamily.UNIX) {
            throw new UnsupportedOperationException("UNIX datagrams: use UserpollDomainDatagramChannel");
        }
        return family;
    }

    @Override
    public UserpollDatagramChannelConfig config() {
        return config;
    }

    @Override
    boolean activeOnOpen() {
        return config.getActiveOnOpen();
    }

    @Override
    int maxDatagramPayloadSize() {
        return config.getMaxDatagramPayloadSize();
    }

    @Override
    boolean wantsControlMessages() {
        return config.isUdpGro() || config.isIpRecvOrigDestAddr();
    }

    @Override
    boolean recipientIsOriginalDestination() {
        return config.isIpRecvOrigDestAddr();
    }

    @Override
    Object newPacket(ByteBuf content, SocketAddress recipient, SocketAddress sender) {
        return new DatagramPacket(content, (InetSocketAddress) recipient, (InetSocketAddress) sender);
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    /** Whether the socket is IPv6 (dual stack unless {@code IPV6_V6ONLY}). */
    boolean isIpv6() {
        return datagramSocket.isIpv6();
    }

    @Override
    protected void doBind(SocketAddress localAddress) throws Exception {
        if (localAddress instanceof InetSocketAddress) {
            InetSocketAddress inet = (InetSocketAddress) localAddress;
            if (inet.getAddress() != null && inet.getAddress().isAnyLocalAddress()
                    && inet.getAddress() instanceof Inet4Address && datagramSocket.isIpv6()) {
                // 0.0.0.0 on a dual-stack socket means every address of both families, as in NIO.
                localAddress = new InetSocketAddress(InetAddress.getByAddress(new byte[16]), inet.getPort());
            }
        }
        super.doBind(localAddress);
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof SegmentedDatagramPacket) {
            SegmentedDatagramPacket packet = (SegmentedDatagramPacket) msg;
            checkUnresolved(packet.recipient());
            ByteBuf content = packet.content();
            return needsCopy(content) ? packet.replace(newDirectBuffer(packet, content)) : msg;
        }
        if (msg instanceof DatagramPacket) {
            DatagramPacket packet = (DatagramPacket) msg;
            checkUnresolved(packet.recipient());
            ByteBuf content = packet.content();
            return needsCopy(content) ? new DatagramPacket(newDirectBuffer(packet, content), packet.recipient())
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
                    && (e.recipient() == null || e.recipient() instanceof InetSocketAddress)) {
                checkUnresolved(e.recipient());
                ByteBuf content = (ByteBuf) e.content();
                return needsCopy(content) ? new DefaultAddressedEnvelope<>(newDirectBuffer(e, content),
                        (InetSocketAddress) e.recipient()) : e;
            }
        }
        throw new UnsupportedOperationException(
                "unsupported message type: " + StringUtil.simpleClassName(msg) + EXPECTED_TYPES);
    }

    private static void checkUnresolved(SocketAddress recipient) {
        if (recipient instanceof InetSocketAddress && ((InetSocketAddress) recipient).isUnresolved()) {
            throw new UnresolvedAddressException();
        }
    }

    // ---- multicast: every overload comes to membership(), on the given interface or the default one

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress) {
        return joinGroup(multicastAddress, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, ChannelPromise promise) {
        return membershipOnDefaultInterface(Membership.JOIN, multicastAddress, null, promise);
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return joinGroup(multicastAddress, networkInterface, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
                                   ChannelPromise promise) {
        return joinGroup(multicastAddress.getAddress(), networkInterface, null, promise);
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                   InetAddress source) {
        return joinGroup(multicastAddress, networkInterface, source, newPromise());
    }

    @Override
    public ChannelFuture joinGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                   InetAddress source, ChannelPromise promise) {
        return membership(Membership.JOIN, multicastAddress, checkNotNull(networkInterface, "networkInterface"),
                source, promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress) {
        return leaveGroup(multicastAddress, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, ChannelPromise promise) {
        return membershipOnDefaultInterface(Membership.LEAVE, multicastAddress, null, promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface) {
        return leaveGroup(multicastAddress, networkInterface, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetSocketAddress multicastAddress, NetworkInterface networkInterface,
                                    ChannelPromise promise) {
        return leaveGroup(multicastAddress.getAddress(), networkInterface, null, promise);
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                    InetAddress source) {
        return leaveGroup(multicastAddress, networkInterface, source, newPromise());
    }

    @Override
    public ChannelFuture leaveGroup(InetAddress multicastAddress, NetworkInterface networkInterface,
                                    InetAddress source, ChannelPromise promise) {
        return membership(Membership.LEAVE, multicastAddress, checkNotNull(networkInterface, "networkInterface"),
                source, promise);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface,
                               InetAddress sourceToBlock) {
        return block(multicastAddress, networkInterface, sourceToBlock, newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, NetworkInterface networkInterface,
                               InetAddress sourceToBlock, ChannelPromise promise) {
        return membership(Membership.BLOCK, multicastAddress, checkNotNull(networkInterface, "networkInterface"),
                sourceToBlock, promise);
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock) {
        return block(multicastAddress, sourceToBlock, newPromise());
    }

    @Override
    public ChannelFuture block(InetAddress multicastAddress, InetAddress sourceToBlock, ChannelPromise promise) {
        return membershipOnDefaultInterface(Membership.BLOCK, multicastAddress, sourceToBlock, promise);
    }

    /** The three membership requests of {@link Multicast}; they take the same arguments. */
    private enum Membership {
        JOIN, LEAVE, BLOCK;

        void request(Socket socket, InetAddress group, NetworkInterface iface, InetAddress source)
                throws IOException {
            switch (this) {
                case JOIN:
                    Multicast.join(socket, group, iface, source);
                    break;
                case LEAVE:
                    Multicast.leave(socket, group, iface, source);
                    break;
                default:
                    Multicast.block(socket, group, iface, source);
                    break;
            }
        }
    }

    /** {@code request} on {@link #defaultInterface()}; failing to find it fails the promise. */
    private ChannelFuture membershipOnDefaultInterface(Membership request, InetAddress multicastAddress,
                                                      InetAddress source, ChannelPromise promise) {
        NetworkInterface iface;
        try {
            iface = defaultInterface();
        } catch (IOException e) {
            promise.setFailure(e);
            return promise;
        }
        return membership(request, multicastAddress, iface, source, promise);
    }

    /** {@code request} on the loop ({@code iface} null: the kernel's choice); a block names its source. */
    private ChannelFuture membership(Membership request, InetAddress multicastAddress, NetworkInterface iface,
                                     InetAddress source, ChannelPromise promise) {
        checkNotNull(multicastAddress, "multicastAddress");
        if (request == Membership.BLOCK) {
            checkNotNull(source, "sourceToBlock");
        }
        return onLoop(promise, () -> request.request(socket, multicastAddress, iface, source));
    }

    /**
     * The configured multicast interface, else the one with the bound address (as Netty's epoll), else
     * {@code null}: the kernel picks one by its routes.
     */
    private NetworkInterface defaultInterface() throws IOException {
        NetworkInterface iface = config.getNetworkInterface();
        if (iface == null) {
            InetSocketAddress local = localAddress();
            iface = local == null ? null : NetworkInterface.getByInetAddress(local.getAddress());
        }
        return iface;
    }

    private interface SocketCall {
        void run() throws IOException;
    }

    private ChannelFuture onLoop(ChannelPromise promise, SocketCall call) {
        Runnable task = () -> {
            try {
                call.run();
                promise.setSuccess();
            } catch (Throwable t) {
                promise.setFailure(t);
            }
        };
        if (eventLoop().inEventLoop()) {
            task.run();
        } else {
            eventLoop().execute(task);
        }
        return promise;
    }
}
