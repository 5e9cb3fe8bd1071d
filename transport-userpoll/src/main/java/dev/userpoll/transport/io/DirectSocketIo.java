package dev.userpoll.transport.io;

import dev.userpoll.transport.internal.Native;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.IovArray;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.SocketWritableByteChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/** A channel's socket I/O as system calls made at once: one recv, writev or sendfile per operation. */
class DirectSocketIo implements SocketIo {
    final Socket socket;
    private final Channel channel;
    private WritableByteChannel byteChannel;

    DirectSocketIo(Channel channel, Socket socket) {
        this.channel = channel;
        this.socket = socket;
    }

    @Override
    public int recv(ByteBuf buf) throws IOException {
        int writerIndex = buf.writerIndex();
        int read;
        if (buf.hasMemoryAddress()) {
            read = socket.recvAddress(buf.memoryAddress(), writerIndex, buf.capacity());
        } else {
            ByteBuffer nio = buf.internalNioBuffer(writerIndex, buf.writableBytes());
            read = socket.recv(nio, nio.position(), nio.limit());
        }
        if (read > 0) {
            buf.writerIndex(writerIndex + read);
        }
        return read;
    }

    @Override
    public boolean isRecvQueued() {
        return false;
    }

    @Override
    public long writev(IovArray iov, boolean mayQueue) throws IOException {
        return socket.writevAddresses(iov.memoryAddress(0), iov.count());
    }

    @Override
    public boolean answersCompletion() {
        return false;
    }

    @Override
    public long sendFile(DefaultFileRegion region) throws IOException {
        region.open(); // the region opens its file lazily
        long offset = region.transferred();
        long res = Native.sendfileRegion(socket.intValue(), region, region.position(), offset, region.count() - offset);
        if (res > 0) {
            return res;
        }
        if (res == 0) {
            // sendfile(2) returns 0 only at the end of the file: it is shorter than the region says.
            throw new IOException("sendfile: file ended before the region did (" + region + ")");
        }
        return Errors.ioResult("sendfile", (int) res); // 0 on EAGAIN: the socket is full
    }

    @Override
    public int sendFd(int fd) throws IOException {
        return socket.sendFd(fd) > 0 ? 1 : 0; // Netty's Socket: -1 on EAGAIN, throws on other errors
    }

    @Override
    public int recvFd() throws IOException {
        return socket.recvFd();
    }

    @Override
    public WritableByteChannel byteChannel() {
        if (byteChannel == null) {
            byteChannel = new SocketWritableByteChannel(socket) {
                @Override
                protected ByteBufAllocator alloc() {
                    return channel.alloc();
                }
            };
        }
        return byteChannel;
    }

    @Override
    public long withdraw() throws IOException {
        return NO_SEND; // nothing is ever queued
    }
}
