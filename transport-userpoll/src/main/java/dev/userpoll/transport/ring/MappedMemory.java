package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A region of native memory (a kernel-shared mapping or anonymous memory) read and written from
 * Java with explicit memory ordering: VarHandles over a direct buffer that wraps it, so the hot path
 * never crosses JNI. Offsets are byte offsets; accesses must be naturally aligned.
 */
final class MappedMemory implements AutoCloseable {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private final ByteBuffer buffer;
    private final long address;
    private final long length;
    private final boolean unmapOnClose;
    private boolean closed;

    private MappedMemory(long address, long length, boolean unmapOnClose) {
        if (length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("mapping too large: " + length);
        }
        this.address = address;
        this.length = length;
        this.unmapOnClose = unmapOnClose;
        this.buffer = Native.wrapMemory(address, (int) length).order(ByteOrder.nativeOrder());
    }

    /** Wraps memory owned by someone else (not unmapped on close). */
    static MappedMemory wrap(long address, long length) {
        return new MappedMemory(address, length, false);
    }

    /** Wraps a mapping that {@link #close()} unmaps. */
    static MappedMemory owning(long address, long length) {
        return new MappedMemory(address, length, true);
    }

    /** Zero-filled anonymous memory, page aligned. */
    static MappedMemory allocate(long length) throws java.io.IOException {
        long addr = Native.mmap(length, Native.MAP_PROT_READ_WRITE, Native.MAP_PRIVATE_ANONYMOUS, -1, 0);
        if (addr < 0) {
            throw Errno.ioException("mmap(anonymous, " + length + ")", (int) addr);
        }
        return owning(addr, length);
    }

    long address() {
        return address;
    }

    long length() {
        return length;
    }

    int getInt(int offset) {
        return buffer.getInt(offset);
    }

    void putInt(int offset, int value) {
        buffer.putInt(offset, value);
    }

    long getLong(int offset) {
        return buffer.getLong(offset);
    }

    void putLong(int offset, long value) {
        buffer.putLong(offset, value);
    }

    void putByte(int offset, byte value) {
        buffer.put(offset, value);
    }

    /**
     * Copies {@code length} bytes from {@code src} at {@code srcOffset} to this region at {@code offset}, through the
     * buffers (an intrinsic memory move): no {@code Unsafe}, which Netty leaves unused under
     * {@code io.netty.noUnsafe} (its default from JDK 25 on), and no JNI call.
     */
    void copyFrom(MappedMemory src, int srcOffset, int offset, int length) {
        buffer.put(offset, src.buffer, srcOffset, length);
    }

    int getIntAcquire(int offset) {
        return (int) INT.getAcquire(buffer, offset);
    }

    int getIntVolatile(int offset) {
        return (int) INT.getVolatile(buffer, offset);
    }

    void putIntRelease(int offset, int value) {
        INT.setRelease(buffer, offset, value);
    }

    void putIntVolatile(int offset, int value) {
        INT.setVolatile(buffer, offset, value);
    }

    int getAndSetInt(int offset, int value) {
        return (int) INT.getAndSet(buffer, offset, value);
    }

    int getAndAddInt(int offset, int delta) {
        return (int) INT.getAndAdd(buffer, offset, delta);
    }

    boolean compareAndSetInt(int offset, int expected, int value) {
        return INT.compareAndSet(buffer, offset, expected, value);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (unmapOnClose) {
            Native.munmap(address, length);
        }
    }
}
