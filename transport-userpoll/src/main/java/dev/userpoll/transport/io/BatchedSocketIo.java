package dev.userpoll.transport.io;

import dev.userpoll.transport.ring.IoUringSocketBatch;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Socket;

import java.io.IOException;

/**
 * A channel's socket I/O through the loop's batch: a recv, and a write the channel allows to wait, join the
 * batch (at most one of each at a time) and complete when the loop submits it; whatever cannot join (the batch
 * is full, a buffer without an address, file regions) is done at once, as {@link DirectSocketIo} does.
 */
final class BatchedSocketIo extends DirectSocketIo implements IoUringSocketBatch.Completion {
    private final IoUringSocketBatch batch;
    private final IoCompletion completion;
    /** The buffer the queued recv fills; the operation's until its completion or a withdrawal. */
    private ByteBuf recvBuf;
    /** Bytes the queued send covers; -1 when none is queued. */
    private long sendAttempted = -1;

    BatchedSocketIo(Channel channel, Socket socket, IoUringSocketBatch batch, IoCompletion completion) {
        super(channel, socket);
        this.batch = batch;
        this.completion = completion;
    }

    @Override
    public int recv(ByteBuf buf) throws IOException {
        if (recvBuf == null && buf.hasMemoryAddress() && batch.queueRecv(socket.intValue(),
                buf.memoryAddress() + buf.writerIndex(), buf.writableBytes(), this)) {
            recvBuf = buf;
            return QUEUED;
        }
        return super.recv(buf);
    }

    @Override
    public boolean isRecvQueued() {
        return recvBuf != null;
    }

    @Override
    public long writev(IovArray iov, boolean mayQueue) throws IOException {
        if (mayQueue && sendAttempted < 0 && batch.queueSendmsg(socket.intValue(), iov.memoryAddress(0),
                iov.count(), this)) {
            sendAttempted = iov.size();
            return QUEUED;
        }
        return super.writev(iov, false);
    }

    @Override
    public boolean answersCompletion() {
        return batch.isDelivering();
    }

    @Override
    public void recvCompleted(int res) {
        ByteBuf buf = recvBuf;
        recvBuf = null;
        if (res > 0) {
            buf.writerIndex(buf.writerIndex() + res);
            completion.recvCompleted(buf, res, null);
        } else if (res == 0) {
            completion.recvCompleted(buf, -1, null); // end of stream, as Socket.recv reports it
        } else {
            IOException cause = null;
            try {
                Errors.ioResult("recv", res); // 0 for EAGAIN, as a direct recv
            } catch (IOException e) {
                cause = e;
            }
            completion.recvCompleted(buf, 0, cause);
        }
    }

    @Override
    public void sendCompleted(int res) {
        long attempted = sendAttempted;
        sendAttempted = -1;
        if (res >= 0) {
            completion.sendCompleted(res, attempted, null);
            return;
        }
        IOException cause = null;
        try {
            Errors.ioResult("sendmsg", res); // 0 for EAGAIN, as a direct writev
        } catch (IOException e) {
            cause = e;
        }
        completion.sendCompleted(0, attempted, cause);
    }

    @Override
    public long withdraw() throws IOException {
        int send = batch.withdraw(this);
        ByteBuf buf = recvBuf;
        if (buf != null) {
            recvBuf = null;
            buf.release();
        }
        boolean sendQueued = sendAttempted >= 0;
        sendAttempted = -1;
        if (!sendQueued || send == IoUringSocketBatch.NO_SEND) {
            return NO_SEND;
        }
        if (send == IoUringSocketBatch.SEND_UNSENT) {
            return SEND_UNSENT;
        }
        if (send == IoUringSocketBatch.SEND_UNKNOWN) {
            return SEND_UNKNOWN;
        }
        return send >= 0 ? send : Errors.ioResult("sendmsg", send);
    }
}
