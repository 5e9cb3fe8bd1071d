package dev.userpoll.transport.io;

import dev.userpoll.transport.internal.DatagramNative;
import io.netty.buffer.ByteBuf;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A datagram channel's I/O as system calls made at once, over the loop's {@link DatagramArena}: {@code recvmsg}
 * or {@code sendmsg} for one datagram, {@code recvmmsg}/{@code sendmmsg} for several.
 */
class DirectDatagramIo implements DatagramIo {
    final Socket socket;
    final boolean ipv6;
    /** The calling loop thread's arena, taken at each operation (the channel may move to another loop). */
    DatagramArena arena;
    /** The slot received datagram 0 is described in: 0 after a receive made at once, a lent slot in a completion. */
    int resultSlot;

    DirectDatagramIo(Socket socket, boolean ipv6) {
        this.socket = socket;
        this.ipv6 = ipv6;
    }

    @Override
    public int recv(ByteBuf buf, int segmentSize, int count, boolean control) throws IOException {
        arena = DatagramArena.current();
        resultSlot = 0;
        int n = Math.min(count, MAX_BATCH);
        int index = buf.writerIndex();
        long base = DatagramArena.address(buf, index, segmentSize * n);
        for (int i = 0; i < n; i++) {
            arena.prepareRecv(i, base + (long) i * segmentSize, segmentSize, control);
        }
        if (n == 1) {
            int res = DatagramNative.recvmsg(socket.intValue(), arena.msghdr(0));
            if (res < 0) {
                return Errors.ioResult("recvmsg", res);
            }
            arena.setReceived(0, res);
            return 1;
        }
        int res = DatagramNative.recvmmsg(socket.intValue(), arena.mmsghdrs(0), n);
        return res < 0 ? Errors.ioResult("recvmmsg", res) : res;
    }

    @Override
    public boolean isRecvQueued() {
        return false;
    }

    @Override
    public int length(int i) {
        return arena.received(resultSlot + i);
    }

    @Override
    public boolean truncated(int i) {
        return arena.truncated(resultSlot + i);
    }

    @Override
    public SocketAddress sender(int i) {
        return arena.sender(resultSlot + i);
    }

    @Override
    public int groSegmentSize(int i) {
        return arena.groSegmentSize(resultSlot + i);
    }

    @Override
    public InetSocketAddress originalDestination(int i) {
        return arena.originalDestination(resultSlot + i);
    }

    @Override
    public int sendOne(ByteBuf content, SocketAddress recipient, int segmentSize, boolean mayQueue)
            throws IOException {
        prepareSend(0, content, recipient, segmentSize);
        int res = DatagramNative.sendmsg(socket.intValue(), arena.msghdr(0));
        return res < 0 ? Errors.ioResult("sendmsg", res) : 1;
    }

    @Override
    public void prepareSend(int i, ByteBuf content, SocketAddress recipient, int segmentSize) {
        if (i == 0) {
            arena = DatagramArena.current();
        }
        int length = content.readableBytes();
        arena.prepareSend(i, DatagramArena.address(content, content.readerIndex(), length), length, recipient, ipv6,
                segmentSize);
    }

    @Override
    public int sendBatch(int count) throws IOException {
        int res = DatagramNative.sendmmsg(socket.intValue(), arena.mmsghdrs(0), count);
        return res < 0 ? Errors.ioResult("sendmmsg", res) : res;
    }

    @Override
    public boolean isSendQueued() {
        return false;
    }

    @Override
    public boolean answersCompletion() {
        return false;
    }

    @Override
    public void withdraw() {
    }
}
