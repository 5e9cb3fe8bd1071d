package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

/**
 * Where the fields of a {@code struct msghdr} live, as the C compiler laid it out (read from the native
 * library once), for the sendmsg operations of {@link IoUringSocketBatch}. The iovecs a header points at are
 * Netty's {@code IovArray} layout ({@code IovArray.IOV_SIZE} bytes each).
 */
final class MsgHdr {
    /** Bytes one header takes in an array of headers: the struct's size rounded up to 8 (its alignment). */
    static final int SIZE = (Native.SIZEOF_MSGHDR + 7) & ~7;
    /** {@code msg_iov}: the address of the iovec array. */
    static final int IOV = Native.MSGHDR_OFFSET_IOV;
    /** {@code msg_iovlen}: how many iovecs (a {@code size_t}). */
    static final int IOVLEN = Native.MSGHDR_OFFSET_IOVLEN;

    static {
        if (IOV < 0 || IOV + Long.BYTES > SIZE || IOVLEN < 0 || IOVLEN + Long.BYTES > SIZE) {
            throw new IllegalStateException("struct msghdr layout from the native library is not sane: size "
                    + Native.SIZEOF_MSGHDR + ", msg_iov at " + IOV + ", msg_iovlen at " + IOVLEN);
        }
    }

    private MsgHdr() {
    }
}
