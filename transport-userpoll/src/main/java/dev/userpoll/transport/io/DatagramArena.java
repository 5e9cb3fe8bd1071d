package dev.userpoll.transport.io;

import dev.userpoll.transport.internal.DatagramConstants;
import dev.userpoll.transport.internal.Native;
import dev.userpoll.transport.internal.DatagramNative;
import io.netty.buffer.ByteBuf;
import io.netty.channel.unix.Buffer;
import io.netty.util.concurrent.FastThreadLocal;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One loop's native storage for datagram I/O: message headers with their iovec, address and control room, laid
 * out as the kernel reads them, so that a datagram is sent or received without allocating anything and with one
 * JNI call per {@code recvmmsg}/{@code sendmmsg} batch; a peer that sends again, or is answered again, costs no
 * address object and no encoding. One per loop thread, made on first use and freed when the
 * thread ends.
 * <pre>
 * [0, SLOTS * sizeof(mmsghdr))   struct mmsghdr[SLOTS]: contiguous, as recvmmsg/sendmmsg take them
 * then, per slot (EXTRA_STRIDE)  struct iovec | struct sockaddr_storage (msg_name) | control (CONTROL_ROOM)
 * </pre>
 * Slots {@code [0, DIRECT_SLOTS)} serve the calls made at once (one batch at a time, reused by the next call);
 * slots above are lent to operations queued in the loop's io_uring batch ({@link #acquire}/{@link #release}), each
 * held from its queueing until its completion or withdrawal. Loop thread only.
 */
final class DatagramArena {
    /** Datagrams one recvmmsg/sendmmsg moves at most. */
    static final int DIRECT_SLOTS = 64;
    /** Operations queued in the batch at once, at most. */
    private static final int POOLED_SLOTS = 64;
    private static final int SLOTS = DIRECT_SLOTS + POOLED_SLOTS;
    /** Room for control messages: a GRO segment size and an original destination address, each aligned. */
    private static final int CONTROL_ROOM = 128;

    private static final int MMSG = DatagramConstants.SIZEOF_MMSGHDR;
    private static final int IOV_SIZE = 2 * Long.BYTES;
    private static final int NAME_ROOM = DatagramConstants.SIZEOF_SOCKADDR_STORAGE;
    private static final int EXTRA_STRIDE = IOV_SIZE + NAME_ROOM + CONTROL_ROOM;
    private static final int EXTRA_BASE = align(SLOTS * MMSG);
    private static final int SIZE = EXTRA_BASE + SLOTS * EXTRA_STRIDE;

    private static final int CMSG_DATA = DatagramConstants.CMSG_DATA_OFFSET;
    /** Bytes of a sender's sockaddr compared with the last one's: all of a sockaddr_in6, the larger inet one. */
    private static final int RAW_COMPARED = 32;
    private static final int CMSG_ALIGN = DatagramConstants.CMSG_ALIGNMENT;

    private static final FastThreadLocal<DatagramArena> ARENAS = new FastThreadLocal<DatagramArena>() {
        @Override
        protected DatagramArena initialValue() {
            return new DatagramArena();
        }

        @Override
        protected void onRemoval(DatagramArena arena) {
            arena.free();
        }
    };

    private final ByteBuffer mem;
    private final long address;
    /** Free pooled slots, a stack. */
    private final int[] free = new int[POOLED_SLOTS];
    private int freeCount;
    /** The last sender read: returned again while datagrams keep coming from it (no allocation). */
    private SocketAddress lastSender;
    /**
     * The raw {@code sockaddr} {@link #lastSender} was read from (its first {@link #RAW_COMPARED} bytes, as longs): a
     * datagram whose sender bytes match is from the same peer, and no address object is made for it.
     */
    private final long[] lastSenderRaw = new long[RAW_COMPARED / Long.BYTES];
    private int lastSenderLength = -1;
    /**
     * The recipient each slot's name room holds, as written for {@code sendmsg} ({@code null}: none, or a receive
     * wrote a sender over it): sending again to the same address object skips encoding it.
     */
    private final SocketAddress[] nameHolds = new SocketAddress[SLOTS];
    private final boolean[] nameHoldsIpv6 = new boolean[SLOTS];
    private final int[] nameHoldsLength = new int[SLOTS];

    private DatagramArena() {
        // Anonymous memory of its own, unmapped when the thread ends: no Cleaner, which JDK 25 keeps to itself.
        long addr = Native.mmap(SIZE, Native.MAP_PROT_READ_WRITE, Native.MAP_PRIVATE_ANONYMOUS, -1, 0);
        if (addr < 0) {
            throw new IllegalStateException("mmap of the datagram arena (" + SIZE + " bytes): errno " + -addr);
        }
        address = addr;
        mem = Native.wrapMemory(addr, SIZE).order(ByteOrder.nativeOrder());
        for (int i = 0; i < POOLED_SLOTS; i++) {
            free[freeCount++] = SLOTS - 1 - i;
        }
    }

    /** The calling loop thread's arena. */
    static DatagramArena current() {
        return ARENAS.get();
    }

    private void free() {
        Native.munmap(address, SIZE);
    }

    /** A pooled slot for a queued operation, or -1 when all are lent out. */
    int acquire() {
        return freeCount == 0 ? -1 : free[--freeCount];
    }

    void release(int slot) {
        free[freeCount++] = slot;
    }

    /** Address of slot {@code slot}'s {@code struct msghdr} (the head of its {@code mmsghdr}). */
    long msghdr(int slot) {
        return address + (long) slot * MMSG;
    }

    /** Address of the first of consecutive {@code mmsghdr}s from {@code slot}. */
    long mmsghdrs(int slot) {
        return msghdr(slot);
    }

    private static int extra(int slot) {
        return EXTRA_BASE + slot * EXTRA_STRIDE;
    }

    private static int name(int slot) {
        return extra(slot) + IOV_SIZE;
    }

    private static int control(int slot) {
        return extra(slot) + IOV_SIZE + NAME_ROOM;
    }

    /**
     * Slot {@code slot} receives one datagram into {@code length} bytes at {@code bufAddress}, with its sender and,
     * when {@code control}, its control messages (GRO segment size, original destination).
     */
    void prepareRecv(int slot, long bufAddress, int length, boolean control) {
        nameHolds[slot] = null; // the kernel writes the sender there
        int hdr = slot * MMSG;
        int iov = extra(slot);
        mem.putLong(iov, bufAddress);
        mem.putLong(iov + Long.BYTES, length);
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_NAME, address + name(slot));
        mem.putInt(hdr + DatagramConstants.MSGHDR_OFFSET_NAMELEN, NAME_ROOM);
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_IOV, address + iov);
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_IOVLEN, 1);
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROL, control ? address + control(slot) : 0);
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROLLEN, control ? CONTROL_ROOM : 0);
        mem.putInt(hdr + DatagramConstants.MSGHDR_OFFSET_FLAGS, 0);
        mem.putInt(hdr + DatagramConstants.MMSGHDR_OFFSET_LEN, 0);
    }

    /**
     * Slot {@code slot} sends {@code length} bytes at {@code bufAddress} to {@code recipient} ({@code null}: the
     * connected peer), in segments of {@code segmentSize} bytes when it is positive (UDP GSO).
     */
    void prepareSend(int slot, long bufAddress, int length, SocketAddress recipient, boolean ipv6, int segmentSize) {
        int hdr = slot * MMSG;
        int iov = extra(slot);
        mem.putLong(iov, bufAddress);
        mem.putLong(iov + Long.BYTES, length);
        if (recipient == null) {
            mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_NAME, 0);
            mem.putInt(hdr + DatagramConstants.MSGHDR_OFFSET_NAMELEN, 0);
        } else {
            int len;
            if (nameHolds[slot] == recipient && nameHoldsIpv6[slot] == ipv6) {
                len = nameHoldsLength[slot]; // a reply to the same peer: its sockaddr is still there
            } else {
                nameHolds[slot] = null;
                len = Sockaddrs.write(mem, name(slot), recipient, ipv6);
                nameHolds[slot] = recipient;
                nameHoldsIpv6[slot] = ipv6;
                nameHoldsLength[slot] = len;
            }
            mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_NAME, address + name(slot));
            mem.putInt(hdr + DatagramConstants.MSGHDR_OFFSET_NAMELEN, len);
        }
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_IOV, address + iov);
        mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_IOVLEN, 1);
        if (segmentSize > 0) {
            int c = control(slot);
            int cmsgLen = CMSG_DATA + Short.BYTES;
            clear(c, align(cmsgLen));
            mem.putLong(c, cmsgLen); // cmsg_len is a size_t
            mem.putInt(c + DatagramConstants.CMSGHDR_OFFSET_LEVEL, DatagramConstants.SOL_UDP);
            mem.putInt(c + DatagramConstants.CMSGHDR_OFFSET_TYPE, DatagramConstants.UDP_SEGMENT);
            mem.putShort(c + CMSG_DATA, (short) segmentSize);
            mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROL, address + c);
            mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROLLEN, align(cmsgLen));
        } else {
            mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROL, 0);
            mem.putLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROLLEN, 0);
        }
        mem.putInt(hdr + DatagramConstants.MSGHDR_OFFSET_FLAGS, 0);
        mem.putInt(hdr + DatagramConstants.MMSGHDR_OFFSET_LEN, 0);
    }

    /** Records a {@code recvmsg} result in slot {@code slot}'s {@code msg_len}, where recvmmsg puts its own. */
    void setReceived(int slot, int bytes) {
        mem.putInt(slot * MMSG + DatagramConstants.MMSGHDR_OFFSET_LEN, bytes);
    }

    /** Bytes slot {@code slot} received ({@code msg_len}). */
    int received(int slot) {
        return mem.getInt(slot * MMSG + DatagramConstants.MMSGHDR_OFFSET_LEN);
    }

    /** Whether the datagram was longer than its buffer ({@code MSG_TRUNC}): its tail was dropped by the kernel. */
    boolean truncated(int slot) {
        return (mem.getInt(slot * MMSG + DatagramConstants.MSGHDR_OFFSET_FLAGS) & DatagramConstants.MSG_TRUNC) != 0;
    }

    /** The sender of the datagram in slot {@code slot} (the empty path for an unnamed Unix-domain socket). */
    SocketAddress sender(int slot) {
        int len = mem.getInt(slot * MMSG + DatagramConstants.MSGHDR_OFFSET_NAMELEN);
        int name = name(slot);
        if (len == lastSenderLength && len <= RAW_COMPARED && sameRaw(name)) {
            return lastSender; // the same peer as the last datagram: nothing to decode or allocate
        }
        SocketAddress sender = Sockaddrs.read(mem, name, len, lastSender);
        if (sender != null) {
            lastSender = sender;
            lastSenderLength = len <= RAW_COMPARED ? len : -1; // a Unix path: compared by Sockaddrs after decoding
            for (int i = 0; i < lastSenderRaw.length && len <= RAW_COMPARED; i++) {
                lastSenderRaw[i] = rawWord(name, i, len);
            }
        }
        return sender;
    }

    private boolean sameRaw(int name) {
        for (int i = 0; i < lastSenderRaw.length; i++) {
            if (rawWord(name, i, lastSenderLength) != lastSenderRaw[i]) {
                return false;
            }
        }
        return true;
    }

    /** Word {@code i} of the {@code len}-byte sockaddr at {@code name}, bytes past its end as 0. */
    private long rawWord(int name, int i, int len) {
        int from = i * Long.BYTES;
        if (from + Long.BYTES <= len) {
            return mem.getLong(name + from);
        }
        long w = 0;
        for (int b = from; b < len; b++) {
            w |= (mem.get(name + b) & 0xffL) << ((b - from) * 8);
        }
        return w;
    }

    /** The {@code UDP_GRO} segment size of the datagram in slot {@code slot}, or 0 when it was not coalesced. */
    int groSegmentSize(int slot) {
        int c = findControl(slot, DatagramConstants.SOL_UDP, DatagramConstants.UDP_GRO);
        return c < 0 ? 0 : mem.getInt(c + CMSG_DATA);
    }

    /** The {@code IP_ORIGDSTADDR} of the datagram in slot {@code slot}, or {@code null} when none came. */
    InetSocketAddress originalDestination(int slot) {
        int c = findControl(slot, dev.userpoll.transport.internal.Native.IPPROTO_IP, DatagramConstants.IP_ORIG_DST_ADDR);
        if (c < 0) {
            return null;
        }
        int len = (int) mem.getLong(c) - CMSG_DATA; // cmsg_len, a size_t, counts the header
        SocketAddress addr = Sockaddrs.read(mem, c + CMSG_DATA, len, null);
        return addr instanceof InetSocketAddress ? (InetSocketAddress) addr : null;
    }

    /** Offset of the control message of {@code level}/{@code type} in slot {@code slot}'s control room, or -1. */
    private int findControl(int slot, int level, int type) {
        int hdr = slot * MMSG;
        if (mem.getLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROL) == 0) {
            return -1;
        }
        long total = mem.getLong(hdr + DatagramConstants.MSGHDR_OFFSET_CONTROLLEN);
        int base = control(slot);
        int off = 0;
        while (off + DatagramConstants.SIZEOF_CMSGHDR <= total) {
            long len = mem.getLong(base + off);
            if (len < DatagramConstants.SIZEOF_CMSGHDR || off + len > total) {
                return -1;
            }
            if (mem.getInt(base + off + DatagramConstants.CMSGHDR_OFFSET_LEVEL) == level
                    && mem.getInt(base + off + DatagramConstants.CMSGHDR_OFFSET_TYPE) == type) {
                return base + off;
            }
            off += (int) ((len + CMSG_ALIGN - 1) & -CMSG_ALIGN);
        }
        return -1;
    }

    /** The address of a buffer's readable (or, for reads, writable) bytes from {@code index}. */
    static long address(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return 0; // an empty iovec: nothing is read or written through it
        }
        if (buf.hasMemoryAddress()) {
            return buf.memoryAddress() + index;
        }
        ByteBuffer nio = buf.internalNioBuffer(index, length);
        return Buffer.memoryAddress(nio) + nio.position();
    }

    private void clear(int offset, int length) {
        for (int i = 0; i < length; i += Long.BYTES) {
            mem.putLong(offset + i, 0L);
        }
    }

    private static int align(int n) {
        return (n + Long.BYTES - 1) & -Long.BYTES;
    }
}
