package dev.userpoll.transport;

import dev.userpoll.transport.io.DatagramIo;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.SegmentedDatagramPacket;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * The write side of the datagram channels ({@link AbstractUserpollDatagramChannel}): a flush sends up to {@code maxMessagesPerWrite} datagrams,
 * several flushed ones at once with one {@code sendmmsg}, a single one with {@code sendmsg} or, when the loop
 * submits it before any other code runs, as a {@code SENDMSG} in the loop's batch. A datagram the kernel refuses
 * fails alone (a datagram channel may write to many peers, as in Netty); {@code EAGAIN} waits for the OUT edge.
 */
final class DatagramWrites implements ChannelOutboundBuffer.MessageProcessor {
    private final AbstractUserpollDatagramChannel ch;
    /** The outbound buffer a queued send points into, until its completion or withdrawal. */
    private ChannelOutboundBuffer queuedFrom;
    // One sendmmsg being prepared by processMessage.
    private int prepared;
    private int limit;
    private RuntimeException prepareFailure;

    DatagramWrites(AbstractUserpollDatagramChannel ch) {
        this.ch = ch;
    }

    void write(ChannelOutboundBuffer in, boolean mayQueue) {
        if (queuedFrom != null) {
            return; // the queued send's completion writes on
        }
        DatagramIo io = ch.io();
        int budget = ch.config().getMaxMessagesPerWrite();
        while (budget > 0) {
            Object msg = in.current();
            if (msg == null) {
                return; // all written; still writable
            }
            try {
                if (in.size() > 1) {
                    prepared = 0;
                    limit = Math.min(budget, DatagramIo.MAX_BATCH);
                    prepareFailure = null;
                    in.forEachFlushedMessage(this);
                    if (prepared == 0) {
                        throw prepareFailure; // the first datagram cannot be sent: it fails alone
                    }
                    int sent = io.sendBatch(prepared);
                    if (sent == 0) {
                        ch.edge.writeBlocked(); // EAGAIN: the OUT edge writes on
                        return;
                    }
                    for (int i = 0; i < sent; i++) {
                        in.remove();
                    }
                    budget -= sent;
                    continue;
                }
                int res = io.sendOne(content(msg), recipient(msg), segmentSize(msg), mayQueue);
                if (res == DatagramIo.QUEUED) {
                    queuedFrom = in;
                    return;
                }
                if (res == 0) {
                    ch.edge.writeBlocked();
                    return;
                }
                in.remove();
                budget--;
            } catch (Exception e) {
                budget--;
                in.remove(e instanceof IOException ? ch.translateForConnected((IOException) e) : e);
            }
        }
        if (!in.isEmpty()) {
            ch.edge.writeStoppedEarly(); // the message limit with datagrams left and no EAGAIN: go on next pass
        }
    }

    @Override
    public boolean processMessage(Object msg) {
        if (prepared == limit) {
            return false;
        }
        try {
            ch.io().prepareSend(prepared, content(msg), recipient(msg), segmentSize(msg));
        } catch (RuntimeException e) {
            if (prepared == 0) {
                prepareFailure = e;
            }
            return false; // the batch ends before it; on its own it fails alone
        }
        return ++prepared < limit;
    }

    /** A queued send completed: the datagram is accounted for and the flush goes on. */
    void sendCompleted(int sent, IOException cause) {
        ChannelOutboundBuffer in = queuedFrom;
        queuedFrom = null;
        if (in == null) {
            return;
        }
        if (cause != null) {
            in.remove(ch.translateForConnected(cause));
        } else if (sent == 0) {
            ch.edge.writeBlocked(); // EAGAIN: the OUT edge sends it again
            return;
        } else {
            in.remove();
        }
        ((AbstractUserpollChannel.AbstractUserpollUnsafe) ch.unsafe()).forceFlush();
    }

    /** The queued send was taken back (close, deregistration): its datagram stays in the outbound buffer. */
    void withdrawn() {
        queuedFrom = null;
    }

    private static ByteBuf content(Object msg) {
        return msg instanceof AddressedEnvelope ? (ByteBuf) ((AddressedEnvelope<?, ?>) msg).content() : (ByteBuf) msg;
    }

    private SocketAddress recipient(Object msg) {
        if (ch.isConnected() || !(msg instanceof AddressedEnvelope)) {
            return null; // the connected peer
        }
        return ((AddressedEnvelope<?, ?>) msg).recipient();
    }

    private static int segmentSize(Object msg) {
        return msg instanceof SegmentedDatagramPacket ? ((SegmentedDatagramPacket) msg).segmentSize() : 0;
    }
}
