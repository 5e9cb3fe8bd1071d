package dev.userpoll.transport.io;

import io.netty.buffer.ByteBuf;

import java.io.IOException;

/**
 * Where the results of a channel's queued operations arrive ({@link SocketIo#QUEUED}): the channel's one entry
 * point for them, with results in the form {@link SocketIo} returns them for an operation performed at once, so
 * the channel handles both with the same code. Called on the loop thread, never while the channel is inside a
 * {@link SocketIo} call, never after {@link SocketIo#withdraw()}.
 */
public interface IoCompletion {
    /**
     * A queued recv into {@code buf} completed: {@code res} as {@link SocketIo#recv} returns it, or an error
     * ({@code cause}, then {@code res} is 0). The buffer is the channel's again.
     */
    void recvCompleted(ByteBuf buf, int res, IOException cause);

    /**
     * A queued write of {@code attempted} bytes completed: bytes written (0: {@code EAGAIN}), or an error
     * ({@code cause}).
     */
    void sendCompleted(long written, long attempted, IOException cause);
}
