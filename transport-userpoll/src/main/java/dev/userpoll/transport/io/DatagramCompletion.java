package dev.userpoll.transport.io;

import io.netty.buffer.ByteBuf;

import java.io.IOException;

/**
 * Where the results of a datagram channel's queued operations arrive ({@link DatagramIo#QUEUED}), in the form
 * {@link DatagramIo} returns them for an operation performed at once, so the channel handles both with the same
 * code. Called on the loop thread, never inside a {@link DatagramIo} call, never after {@link DatagramIo#withdraw()}.
 */
public interface DatagramCompletion {
    /**
     * A queued receive into {@code buf} completed: {@code count} datagrams (0: {@code EAGAIN}), described by the
     * {@link DatagramIo} accessors during this call, or an error ({@code cause}). The buffer is the channel's again.
     */
    void recvCompleted(ByteBuf buf, int count, IOException cause);

    /** A queued send completed: 1 when sent, 0 on {@code EAGAIN}, or an error ({@code cause}). */
    void sendCompleted(int sent, IOException cause);
}
