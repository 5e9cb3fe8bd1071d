package dev.userpoll.transport;

import io.netty.channel.IoHandle;
import io.netty.channel.unix.FileDescriptor;

/** An {@link IoHandle} that a {@link UserpollIoHandler} can serve: something with a file descriptor. */
interface UserpollIoHandle extends IoHandle {
    /** The fd to register with the ring source once {@link UserpollIoOps#arm(int)} is submitted. */
    FileDescriptor fd();
}
