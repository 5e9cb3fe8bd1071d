package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

/**
 * Sizes and offsets of {@code struct msghdr} and {@code struct iovec} as the batched sendmsg/recvmsg path
 * writes them into native memory, in one place beside the ring descriptors, as Agrona's
 * {@code RingBufferDescriptor} does for its buffers. The msghdr facts come from the C headers through
 * {@link Native}, once; the class refuses to load when they do not describe a layout this code can write.
 * <pre>
 * struct iovec (LP64):  0 void* iov_base, 8 size_t iov_len                        16 bytes
 * struct msghdr:        MSG_IOV_OFFSET struct iovec* msg_iov, MSG_IOVLEN_OFFSET size_t msg_iovlen,
 *                       every other field left 0 (no address, no control data, no flags)
 * </pre>
 */
final class MsgHdrLayout {
    /** {@code sizeof(struct iovec)}: a pointer and a {@code size_t}, 8 bytes each on the LP64 ABIs this runs on. */
    static final int IOV_SIZE = 2 * Long.BYTES;
    static final int IOV_BASE_OFFSET = 0;
    static final int IOV_LEN_OFFSET = Long.BYTES;

    /** {@code sizeof(struct msghdr)}. */
    static final int MSGHDR_SIZE = Native.SIZEOF_MSGHDR;
    /** {@code offsetof(struct msghdr, msg_iov)}. */
    static final int MSG_IOV_OFFSET = Native.MSGHDR_OFFSET_IOV;
    /** {@code offsetof(struct msghdr, msg_iovlen)}. */
    static final int MSG_IOVLEN_OFFSET = Native.MSGHDR_OFFSET_IOVLEN;
    /** Bytes between two msghdrs in an array of them: the size rounded up to 8, so every one stays aligned. */
    static final int MSGHDR_STRIDE = align8(MSGHDR_SIZE);

    static {
        String wrong = validate(MSGHDR_SIZE, MSG_IOV_OFFSET, MSG_IOVLEN_OFFSET);
        if (wrong != null) {
            throw new IllegalStateException("struct msghdr from the native library: " + wrong);
        }
    }

    private MsgHdrLayout() {
    }

    /** Byte offset of iovec {@code index} in an array of them. */
    static int iovOffset(int index) {
        return index * IOV_SIZE;
    }

    /** Byte offset of msghdr {@code index} in an array of them. */
    static int msghdrOffset(int index) {
        return index * MSGHDR_STRIDE;
    }

    /**
     * Checks that the two fields this code writes are 8-byte words (they are written with 8-byte stores),
     * inside the struct and distinct. Returns {@code null} when they are, else what is wrong.
     */
    static String validate(int size, int iovOffset, int iovlenOffset) {
        if (size <= 0) {
            return "size " + size;
        }
        for (int offset : new int[] {iovOffset, iovlenOffset}) {
            if (offset < 0 || offset % Long.BYTES != 0 || offset + Long.BYTES > size) {
                return "field offset " + offset + " is not an aligned 8-byte word within " + size + " bytes";
            }
        }
        if (iovOffset == iovlenOffset) {
            return "msg_iov and msg_iovlen both at offset " + iovOffset;
        }
        return null;
    }

    private static int align8(int n) {
        return (n + Long.BYTES - 1) & -Long.BYTES;
    }
}
