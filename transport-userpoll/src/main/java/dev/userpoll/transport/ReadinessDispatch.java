package dev.userpoll.transport;

import dev.userpoll.transport.AbstractUserpollChannel.AbstractUserpollUnsafe;
import io.netty.channel.unix.Errors;

import java.io.IOException;

/**
 * What a channel does with one edge (or a ready-list retry) from its loop, in the order the edge rules need
 * (DESIGN.md section 4): the one job of the unsafe's {@code handle}, named as in Netty's epoll transport. The
 * rules about what an edge means live in {@link EdgeState}; the reads and writes themselves in the channel's
 * unsafe. Stateless (no object per channel): everything it touches belongs to the channel. Loop thread only.
 */
final class ReadinessDispatch {
    private ReadinessDispatch() {
    }

    /** Serves {@code events} (0: served from the ready list, no kernel event) for {@code ch}. */
    static void handle(AbstractUserpollChannel ch, AbstractUserpollUnsafe unsafe, int events) {
        EdgeState edge = ch.edge;
        // OUT (and ERR) first: it may complete or fail a pending connect before anything is read.
        if (EdgeState.isWriteEdge(events)) {
            edge.writeEdge();
            epollOutReady(ch, unsafe);
        } else if (events == 0) {
            retryReady(ch, unsafe);
        }
        if (EdgeState.isHangup(events) && unsafe.hangsUp()) {
            epollRdHupReady(ch, unsafe, events);
        } else {
            if (EdgeState.isReadEdge(events)) {
                edge.readEdge();
            }
            epollInReady(ch, unsafe, false);
        }
    }

    /** An OUT edge: a pending connect completes (or fails), else what waits in the outbound buffer goes out. */
    private static void epollOutReady(AbstractUserpollChannel ch, AbstractUserpollUnsafe unsafe) {
        if (ch.isConnectPending()) {
            ch.finishConnect();
        } else if (!ch.socket.isOutputShutdown()) {
            unsafe.forceFlush();
        }
    }

    /** Served from the ready list: a flush that stopped at writeSpinCount goes on (a read is owed below). */
    private static void retryReady(AbstractUserpollChannel ch, AbstractUserpollUnsafe unsafe) {
        if (ch.edge.isWritable() && !ch.isConnectPending() && !ch.socket.isOutputShutdown()) {
            unsafe.forceFlush();
        }
    }

    /**
     * Reads what the read edge promises, when reading is wanted. The peer closing its side ({@code hangup}) is
     * read whatever the read interest, as in Netty's epoll transport, so that the input shutdown (and any
     * data before it) is seen.
     */
    private static void epollInReady(AbstractUserpollChannel ch, AbstractUserpollUnsafe unsafe, boolean hangup) {
        EdgeState edge = ch.edge;
        if (!edge.isReadable() || !ch.isOpen()) {
            return;
        }
        if (unsafe.readPending || ch.config().isAutoRead() || hangup && ch.isActive()) {
            unsafe.readReady();
        } else if (edge.isPeerClosed() && !ch.isActive()) {
            unsafe.shutdownInput(false);
        }
    }

    /**
     * RDHUP, HUP or ERR on a stream: the peer closed its side (or the connection failed), so the input is read to
     * its end; then a failure on an input that was already shut is handled, since no read will report it.
     */
    private static void epollRdHupReady(AbstractUserpollChannel ch, AbstractUserpollUnsafe unsafe, int events) {
        ch.edge.readHangup();
        epollInReady(ch, unsafe, true);
        if (EdgeState.isFailure(events)) {
            failedAfterInputShutdown(ch, unsafe, events);
        }
    }

    /**
     * An error or hang-up edge on a socket whose input is already shut (the peer half-closed it under
     * {@code ALLOW_HALF_CLOSURE}, or the application shut it): no read will report it, and with an idle
     * application no write will either, so the edge is the only news the connection is dead. A reset
     * (ERR, or HUP while our output is still open: the kernel reports HUP then only for a closed connection)
     * closes the channel now and frees its fd; HUP after both sides shut down in order leaves the closing to
     * the application.
     */
    private static void failedAfterInputShutdown(AbstractUserpollChannel ch, AbstractUserpollUnsafe unsafe,
                                                 int events) {
        if (!ch.isOpen() || !ch.socket.isInputShutdown() || ch.isConnectPending()
                || !EdgeState.isError(events) && ch.socket.isOutputShutdown()) {
            return;
        }
        int soError;
        try {
            soError = ch.socket.getSoError(); // reads and clears the pending error, as a read would have
        } catch (IOException e) {
            soError = 0;
        }
        if (soError != 0) {
            ch.pipeline().fireExceptionCaught(Errors.newIOException("half-closed connection", -soError));
        }
        unsafe.close(unsafe.voidPromise());
    }
}
