package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.userpoll.transport.ring.UserpollRingLayout.EPOLL_CLOEXEC;
import static dev.userpoll.transport.ring.UserpollRingLayout.EPOLL_USERPOLL;
import static dev.userpoll.transport.ring.UserpollRingLayout.HEADER_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.INDEX_LENGTH_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAGIC_OFFSET;
import static dev.userpoll.transport.ring.UserpollRingLayout.MAX_ITEMS_NR_OFFSET;

/**
 * A userpoll epoll of the running kernel: {@code epoll_create2} at a number {@link UserpollRing}'s detection chose,
 * proven to be an eventpoll whose mapped header carries the magic, both regions mapped (USERPOLL-ABI.md, "Mapping"),
 * and its system calls ({@code epoll_ctl}, the park, the epoll fd as the doorbell of a parking submit).
 */
final class KernelUserpollEpoll implements UserpollKernel.Epoll {
    private static final String EVENTPOLL_LINK = "anon_inode:[eventpoll]";

    private final int epfd;
    private final MappedMemory header;
    private final MappedMemory index;
    private final UserpollProtocol protocol;

    private KernelUserpollEpoll(int epfd, MappedMemory header, MappedMemory index, UserpollProtocol protocol) {
        this.epfd = epfd;
        this.header = header;
        this.index = index;
        this.protocol = protocol;
    }

    /** Calls {@code epoll_create2} at {@code nr}; closes whatever it got unless all of it is proven. */
    static KernelUserpollEpoll open(int nr, int size, UserpollProtocol protocol) throws IOException {
        int fd = Native.epollCreate2(nr, EPOLL_USERPOLL | EPOLL_CLOEXEC, size);
        if (fd < 0) {
            // ENOMEM from a real epoll_create2: the ring's pages are charged to RLIMIT_MEMLOCK, which Errno.describe names.
            throw new IOException("failed with " + Errno.describe(fd));
        }
        MappedMemory page = null;
        MappedMemory header = null;
        try {
            String link = readLink(fd);
            if (!EVENTPOLL_LINK.equals(link)) {
                throw new IOException("returned fd " + fd + " which is " + link + ", not " + EVENTPOLL_LINK);
            }
            page = map(fd, 0, Native.PAGE_SIZE, "header page");
            int magic = page.getInt(MAGIC_OFFSET);
            int headerLength = page.getInt(HEADER_LENGTH_OFFSET);
            int indexLength = page.getInt(INDEX_LENGTH_OFFSET);
            int maxItems = page.getInt(MAX_ITEMS_NR_OFFSET);
            String wrong = UserpollRingLayout.validate(magic, headerLength, indexLength, maxItems,
                    Native.PAGE_SIZE);
            if (wrong != null) {
                throw new IOException("returned an eventpoll whose mapped header is not a userpoll header: "
                        + wrong);
            }
            if (headerLength > Native.PAGE_SIZE) {
                page.close();
                page = null;
                header = map(fd, 0, headerLength, "header");
            } else {
                header = page;
                page = null;
            }
            MappedMemory index = map(fd, headerLength, indexLength, "index ring");
            return new KernelUserpollEpoll(fd, header, index, protocol);
        } catch (IOException | RuntimeException e) {
            if (page != null) {
                page.close();
            }
            if (header != null) {
                header.close();
            }
            Native.close(fd);
            throw e;
        }
    }

    private static MappedMemory map(int fd, long offset, int length, String what) throws IOException {
        long addr = Native.mmap(length, Native.MAP_PROT_READ_WRITE, Native.MAP_SHARED_POPULATE, fd, offset);
        if (addr < 0) {
            throw new IOException("returned an eventpoll fd, but mmap of its " + what + " (offset " + offset
                    + ", " + length + " bytes) failed with " + Errno.describe((int) addr));
        }
        return MappedMemory.owning(addr, length);
    }

    private static String readLink(int fd) throws IOException {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IOException("returned fd " + fd + " whose /proc/self/fd link cannot be read: " + e, e);
        }
    }

    @Override
    public int fd() {
        return epfd;
    }

    @Override
    public UserpollProtocol protocol() {
        return protocol;
    }

    @Override
    public MappedMemory header() {
        return header;
    }

    @Override
    public MappedMemory index() {
        return index;
    }

    @Override
    public int ctl(int op, int fd, int events, long data) {
        return Native.epollCtl(epfd, op, fd, events, data);
    }

    @Override
    public int await(int timeoutMillis) {
        // NULL/0: a userpoll epfd only sleeps; -ESTALE means the ring has entries.
        return Native.epollWait(epfd, 0, 0, timeoutMillis);
    }

    @Override
    public int doorbellFd() {
        return epfd; // polls readable exactly while head != tail (epoll-userpoll.patch, ep_eventpoll_poll)
    }

    @Override
    public void close() {
        index.close();
        header.close();
        Native.close(epfd);
    }
}
