package dev.userpoll.transport.io;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import io.netty.buffer.ByteBuf;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * A datagram channel's I/O through the loop's batch: a one-datagram receive ({@code IORING_OP_RECVMSG}) and a
 * one-datagram send the channel allows to wait ({@code IORING_OP_SENDMSG}), at most one of each at a time, join
 * the batch with {@code MSG_DONTWAIT} in a message header lent by the loop's {@link DatagramArena} and complete when
 * the loop submits it. What cannot join (several datagrams at once, a full batch or arena) is done at once, as
 * {@link DirectDatagramIo} does.
 */
final class BatchedDatagramIo extends DirectDatagramIo implements IoUringSocketBatch.Completion {
    private final IoUringSocketBatch batch;
    private final DatagramCompletion completion;
    /** The buffer the queued receive fills, and its arena slot; null / -1 when none is queued. */
    private ByteBuf recvBuf;
    private int recvSlot = -1;
    /** The arena slot of the queued send; -1 when none is queued. */
    private int sendSlot = -1;

    BatchedDatagramIo(Socket socket, boolean ipv6, IoUringSocketBatch batch, DatagramCompletion completion) {
        super(socket, ipv6);
        this.batch = batch;
        this.completion = completion;
    }

    @Override
    public int recv(ByteBuf buf, int segmentSize, int count, boolean control) throws IOException {
        if (count == 1 && recvBuf == null) {
            arena = DatagramArena.current();
            int slot = arena.acquire();
            if (slot >= 0) {
                arena.prepareRecv(slot, DatagramArena.address(buf, buf.writerIndex(), segmentSize), segmentSize,
                        control);
                if (batch.queueRecvmsg(socket.intValue(), arena.msghdr(slot), this)) {
                    recvBuf = buf;
                    recvSlot = slot;
                    return QUEUED;
                }
                arena.release(slot);
            }
        }
        return super.recv(buf, segmentSize, count, control);
    }

    @Override
    public boolean isRecvQueued() {
        return recvBuf != null;
    }

    @Override
    public int sendOne(ByteBuf content, SocketAddress recipient, int segmentSize, boolean mayQueue)
            throws IOException {
        if (mayQueue && sendSlot < 0) {
            arena = DatagramArena.current();
            int slot = arena.acquire();
            if (slot >= 0) {
                int length = content.readableBytes();
                arena.prepareSend(slot, DatagramArena.address(content, content.readerIndex(), length), length,
                        recipient, ipv6, segmentSize);
                if (batch.queueSendmsgHeader(socket.intValue(), arena.msghdr(slot), this)) {
                    sendSlot = slot;
                    return QUEUED;
                }
                arena.release(slot);
            }
        }
        return super.sendOne(content, recipient, segmentSize, false);
    }

    @Override
    public boolean isSendQueued() {
        return sendSlot >= 0;
    }

    @Override
    public boolean answersCompletion() {
        return batch.isDelivering();
    }

    @Override
    public void recvCompleted(int res) {
        ByteBuf buf = recvBuf;
        int slot = recvSlot;
        recvBuf = null;
        recvSlot = -1;
        try {
            if (res >= 0) {
                arena.setReceived(slot, res);
                resultSlot = slot;
                completion.recvCompleted(buf, 1, null);
                return;
            }
            IOException cause = null;
            try {
                Errors.ioResult("recvmsg", res); // 0 for EAGAIN, as a direct receive
            } catch (IOException e) {
                cause = e;
            }
            completion.recvCompleted(buf, 0, cause);
        } finally {
            arena.release(slot); // the channel read what it needed during the call
        }
    }

    @Override
    public void sendCompleted(int res) {
        arena.release(sendSlot);
        sendSlot = -1;
        if (res >= 0) {
            completion.sendCompleted(1, null);
            return;
        }
        IOException cause = null;
        try {
            Errors.ioResult("sendmsg", res); // 0 for EAGAIN, as a direct send
        } catch (IOException e) {
            cause = e;
        }
        completion.sendCompleted(0, cause);
    }

    @Override
    public void withdraw() {
        batch.withdraw(this);
        if (recvBuf != null) {
            recvBuf.release();
            recvBuf = null;
            arena.release(recvSlot);
            recvSlot = -1;
        }
        if (sendSlot >= 0) {
            arena.release(sendSlot);
            sendSlot = -1;
        }
    }
}
