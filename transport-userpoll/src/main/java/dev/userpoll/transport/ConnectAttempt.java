package dev.userpoll.transport;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.concurrent.Future;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeUnit;

/**
 * A channel's non-blocking connect, held to Netty's connect contract: one promise at a time, completed by the
 * OUT edge (or at once), failed by the connect timeout, by cancellation or by close, and a failure closes the
 * channel. The remote address keeps the host name the user asked for. One per channel; loop thread only,
 * like the unsafe's connect and the edges that call it.
 */
final class ConnectAttempt {
    private final AbstractUserpollChannel channel;
    /** The promise of the connect waiting for its OUT edge; null when none is. */
    private ChannelPromise promise;
    private Future<?> timeoutFuture;
    /** What the user asked for, host name included: the remote address is built from it once connected. */
    private SocketAddress requestedRemote;

    ConnectAttempt(AbstractUserpollChannel channel) {
        this.channel = channel;
    }

    /** Whether a connect waits for its OUT edge: until it completes, that edge is the connect's, not a flush's. */
    boolean isPending() {
        return promise != null;
    }

    /** The unsafe's connect, once the promise is known open: connects at once, or waits for the OUT edge. */
    void start(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise connectPromise) {
        try {
            if (promise != null) {
                throw new ConnectionPendingException();
            }
            boolean wasActive = channel.isActive();
            if (connect(remoteAddress, localAddress)) {
                succeeded(connectPromise, wasActive);
                return;
            }
            promise = connectPromise;
            requestedRemote = remoteAddress;
            int timeoutMillis = channel.config().getConnectTimeoutMillis();
            if (timeoutMillis > 0) {
                timeoutFuture = channel.eventLoop().schedule(
                        () -> timedOut(remoteAddress, timeoutMillis), timeoutMillis, TimeUnit.MILLISECONDS);
            }
            connectPromise.addListener((ChannelFutureListener) future -> {
                if (future.isCancelled()) {
                    cancelled();
                }
            });
        } catch (Throwable t) {
            unsafe().closeIfSocketClosed();
            connectPromise.tryFailure(unsafe().annotateConnectFailure(t, remoteAddress));
        }
    }

    /** Starts connect(2); true when it completed at once. The fd is armed either way, and closed on failure. */
    private boolean connect(SocketAddress remoteAddress, SocketAddress localAddress) throws Exception {
        if (localAddress instanceof InetSocketAddress) {
            checkResolvable((InetSocketAddress) localAddress);
        }
        InetSocketAddress remoteInet = remoteAddress instanceof InetSocketAddress
                ? (InetSocketAddress) remoteAddress : null;
        if (remoteInet != null) {
            checkResolvable(remoteInet);
        }
        if (channel.remoteAddress0() != null) {
            throw new AlreadyConnectedException();
        }
        if (localAddress != null) {
            channel.socket.bind(localAddress);
        }
        boolean success = false;
        try {
            boolean connected = channel.connectSocket(remoteAddress);
            if (connected) {
                channel.connectedTo(remoteInet == null
                        ? remoteAddress : computeRemote(remoteInet, channel.socket.remoteAddress()));
            }
            channel.refreshLocalAddress();
            success = true;
            // Armed after connect() so the initial poll sees SYN_SENT or ESTABLISHED, never an unconnected socket.
            channel.arm();
            return connected;
        } finally {
            if (!success) {
                channel.doClose();
            }
        }
    }

    /** The OUT edge (or an error) of a pending connect: it completes, or fails and closes, or waits on. */
    void finish() {
        assert channel.eventLoop().inEventLoop();
        boolean stillInProgress = false;
        try {
            boolean wasActive = channel.isActive();
            if (!channel.socket.finishConnect()) {
                stillInProgress = true;
                channel.edge.writeBlocked(); // the next OUT edge says when the handshake is done
                return;
            }
            channel.connectedTo(requestedRemote instanceof InetSocketAddress
                    ? computeRemote((InetSocketAddress) requestedRemote, channel.socket.remoteAddress())
                    : requestedRemote);
            requestedRemote = null;
            succeeded(promise, wasActive);
        } catch (Throwable t) {
            failed(promise, unsafe().annotateConnectFailure(t, requestedRemote));
        } finally {
            if (!stillInProgress) {
                if (timeoutFuture != null) {
                    timeoutFuture.cancel(false);
                }
                promise = null;
            }
        }
    }

    /** The channel is closing: a pending connect fails as closed, and its timeout must not fire on a reused fd. */
    void channelClosed() {
        ChannelPromise p = promise;
        if (p != null) {
            p.tryFailure(new ClosedChannelException());
            promise = null;
        }
        Future<?> timeout = timeoutFuture;
        if (timeout != null) {
            timeout.cancel(false);
            timeoutFuture = null;
        }
    }

    private void succeeded(ChannelPromise connectPromise, boolean wasActive) {
        if (connectPromise == null) {
            return; // cancelled: already notified
        }
        channel.active = true;
        boolean nowActive = channel.isActive();
        boolean promiseSet = connectPromise.trySuccess();
        if (!wasActive && nowActive) {
            channel.pipeline().fireChannelActive();
        }
        if (!promiseSet) {
            // The user cancelled the promise meanwhile: the connection is not wanted.
            unsafe().close();
        }
    }

    private void failed(ChannelPromise connectPromise, Throwable cause) {
        if (connectPromise == null) {
            return;
        }
        connectPromise.tryFailure(cause);
        unsafe().closeIfSocketClosed();
    }

    private void timedOut(SocketAddress remoteAddress, int timeoutMillis) {
        ChannelPromise p = promise;
        if (p != null && !p.isDone() && p.tryFailure(new ConnectTimeoutException(
                "connection timed out after " + timeoutMillis + " ms: " + remoteAddress))) {
            unsafe().close();
        }
    }

    private void cancelled() {
        if (timeoutFuture != null) {
            timeoutFuture.cancel(false);
        }
        promise = null;
        unsafe().close();
    }

    private AbstractUserpollChannel.AbstractUserpollUnsafe unsafe() {
        return (AbstractUserpollChannel.AbstractUserpollUnsafe) channel.unsafe();
    }

    /** Netty's rule for bind and connect: an unresolved address fails at once instead of reaching the kernel. */
    static void checkResolvable(InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new UnresolvedAddressException();
        }
    }

    /** The address the kernel connected to, under the host name the user asked for (so toString shows it). */
    static InetSocketAddress computeRemote(InetSocketAddress requested, InetSocketAddress actual) {
        if (actual != null) {
            if (requested.getHostString() != null && !requested.getHostString().equals(actual.getHostString())) {
                try {
                    return new InetSocketAddress(InetAddress.getByAddress(requested.getHostString(),
                            actual.getAddress().getAddress()), actual.getPort());
                } catch (UnknownHostException ignore) {
                    // fall through: the address without the name
                }
            }
            return actual;
        }
        return requested;
    }
}
