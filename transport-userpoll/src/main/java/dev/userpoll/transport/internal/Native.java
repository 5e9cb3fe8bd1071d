package dev.userpoll.transport.internal;

import io.netty.channel.unix.Unix;
import io.netty.util.internal.NativeLibraryLoader;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.ThrowableUtil;

import java.nio.ByteBuffer;

/**
 * The only class that knows JNI. Its natives are registered by the library's {@code JNI_OnLoad};
 * kernel constants are read from C once, here. Syscall wrappers return their result or {@code -errno}
 * (never throw), so callers on the event loop decide what an error means without an exception.
 * <p>Loading this class fails with an {@link UnsatisfiedLinkError} (or {@link IllegalStateException}
 * off Linux) whose message names the library and why it could not be loaded.
 */
public final class Native {
    /** Base name of the shared library, packaged as {@code META-INF/native/lib<name>_<arch>.so}. */
    public static final String LIBRARY_NAME = "userpoll_transport_native";

    static {
        try {
            // Already registered (statically linked, or loaded by another class loader path)?
            pageSize();
        } catch (UnsatisfiedLinkError ignore) {
            loadNativeLibrary();
        }
        Unix.registerInternal(Native::registerUnix);
    }

    public static final int PAGE_SIZE = pageSize();

    public static final int EPOLLIN = epollIn();
    public static final int EPOLLOUT = epollOut();
    public static final int EPOLLRDHUP = epollRdHup();
    public static final int EPOLLERR = epollErr();
    public static final int EPOLLHUP = epollHup();
    public static final int EPOLLET = epollEt();
    public static final int EPOLLEXCLUSIVE = epollExclusive();
    public static final int EPOLL_CTL_ADD = epollCtlAdd();
    public static final int EPOLL_CTL_MOD = epollCtlMod();
    public static final int EPOLL_CTL_DEL = epollCtlDel();
    public static final int SIZEOF_EPOLL_EVENT = sizeofEpollEvent();
    public static final int OFFSETOF_EPOLL_DATA = offsetofEpollData();

    public static final int EAGAIN = errnoEagain();
    public static final int EINTR = errnoEintr();
    public static final int ESTALE = errnoEstale();
    public static final int ENOSYS = errnoEnosys();
    public static final int EINVAL = errnoEinval();
    public static final int ENOSPC = errnoEnospc();
    public static final int ENOENT = errnoEnoent();
    public static final int EBADF = errnoEbadf();
    public static final int EPERM = errnoEperm();
    public static final int ENOMEM = errnoEnomem();
    public static final int EFAULT = errnoEfault();
    public static final int ETIME = errnoEtime();
    public static final int EMFILE = errnoEmfile();
    public static final int EBUSY = errnoEbusy();
    public static final int ENFILE = errnoEnfile();
    public static final int ENOBUFS = errnoEnobufs();

    public static final int MAP_PROT_READ_WRITE = mapProt();
    public static final int MAP_SHARED_POPULATE = mapSharedFlags();
    public static final int MAP_PRIVATE_ANONYMOUS = mapAnonymousFlags();

    public static final int IO_URING_SETUP_OUT_LENGTH = ioUringSetupOutLength();
    public static final int IORING_SETUP_COOP_TASKRUN = ioringSetupCoopTaskrun();
    public static final int IORING_SETUP_TASKRUN_FLAG = ioringSetupTaskrunFlag();
    public static final int IORING_SETUP_CLAMP = ioringSetupClamp();
    public static final int IORING_FEAT_EXT_ARG = ioringFeatExtArg();
    public static final int IORING_ENTER_GETEVENTS = ioringEnterGetevents();
    public static final int IORING_ENTER_REGISTERED_RING = ioringEnterRegisteredRing();
    public static final int IORING_SQ_CQ_OVERFLOW = ioringSqCqOverflow();
    public static final int IORING_SQ_TASKRUN = ioringSqTaskrun();
    public static final int IORING_CQE_F_MORE = ioringCqeFMore();
    public static final int IORING_POLL_ADD_MULTI = ioringPollAddMulti();
    public static final int IORING_OP_NOP = ioringOpNop();
    public static final int IORING_OP_POLL_ADD = ioringOpPollAdd();
    public static final int IORING_OP_POLL_REMOVE = ioringOpPollRemove();
    public static final int IORING_OP_ASYNC_CANCEL = ioringOpAsyncCancel();
    public static final int IORING_OP_RECV = ioringOpRecv();
    public static final int IORING_OP_SENDMSG = ioringOpSendmsg();
    public static final int SIZEOF_IO_URING_SQE = sizeofIoUringSqe();
    public static final int SIZEOF_IO_URING_CQE = sizeofIoUringCqe();
    public static final int SQE_OFFSET_OPCODE = sqeOffsetOpcode();
    public static final int SQE_OFFSET_FD = sqeOffsetFd();
    public static final int SQE_OFFSET_ADDR = sqeOffsetAddr();
    public static final int SQE_OFFSET_LEN = sqeOffsetLen();
    public static final int SQE_OFFSET_OP_FLAGS = sqeOffsetOpFlags();
    public static final int SQE_OFFSET_USER_DATA = sqeOffsetUserData();
    public static final int CQE_OFFSET_USER_DATA = cqeOffsetUserData();
    public static final int CQE_OFFSET_RES = cqeOffsetRes();
    public static final int CQE_OFFSET_FLAGS = cqeOffsetFlags();

    public static final int SOL_SOCKET = solSocket();
    public static final int IPPROTO_TCP = ipprotoTcp();
    public static final int IPPROTO_IP = ipprotoIp();
    public static final int IP_TOS = ipTos();
    public static final int IPV6_TCLASS = ipv6Tclass();
    public static final int SO_BUSY_POLL = soBusyPoll();
    public static final int TCP_QUICKACK = tcpQuickAck();
    public static final int TCP_CORK = tcpCork();
    public static final int TCP_NOTSENT_LOWAT = tcpNotSentLowAt();
    public static final int TCP_KEEPIDLE = tcpKeepIdle();
    public static final int TCP_KEEPINTVL = tcpKeepIntvl();
    public static final int TCP_KEEPCNT = tcpKeepCnt();
    public static final int TCP_USER_TIMEOUT = tcpUserTimeout();
    public static final int TCP_FASTOPEN = tcpFastopen();
    public static final int TCP_FASTOPEN_CONNECT = tcpFastopenConnect();
    public static final int TCP_DEFER_ACCEPT = tcpDeferAccept();
    public static final int SO_ACCEPTCONN = soAcceptconn();
    public static final int MSG_DONTWAIT = msgDontwait();
    public static final int MSG_NOSIGNAL = msgNosignal();
    public static final int SIZEOF_MSGHDR = sizeofMsghdr();
    public static final int MSGHDR_OFFSET_IOV = msghdrOffsetIov();
    public static final int MSGHDR_OFFSET_IOVLEN = msghdrOffsetIovlen();

    private Native() {
    }

    /**
     * Loads the library (this class's initializer does) and with it the {@code io.netty.channel.unix} natives, for
     * code that calls those before anything else has touched this class.
     */
    public static void ensureLoaded() {
        // the class initializer did the work
    }

    private static void loadNativeLibrary() {
        String os = PlatformDependent.normalizedOs();
        if (!"linux".equals(os)) {
            throw new IllegalStateException("netty-transport-userpoll works on Linux only, not on " + os);
        }
        String sharedLibName = LIBRARY_NAME + '_' + PlatformDependent.normalizedArch();
        ClassLoader cl = PlatformDependent.getClassLoader(Native.class);
        try {
            NativeLibraryLoader.load(sharedLibName, cl);
        } catch (UnsatisfiedLinkError shared) {
            try {
                NativeLibraryLoader.load(LIBRARY_NAME, cl); // statically linked into the JVM image
            } catch (UnsatisfiedLinkError statik) {
                ThrowableUtil.addSuppressed(shared, statik);
                UnsatisfiedLinkError error = new UnsatisfiedLinkError("could not load the native library lib"
                        + sharedLibName + ".so (expected at META-INF/native/ in the artifact"
                        + " dev.userpoll:transport-userpoll-native, classifier linux-"
                        + PlatformDependent.normalizedArch() + "): " + shared.getMessage());
                error.initCause(shared);
                throw error;
            }
        }
    }

    // ---- registration of io.netty.channel.unix natives (once per JVM, through Unix.registerInternal)
    private static native int registerUnix();

    // ---- epoll
    public static native int epollCreate();
    public static native int epollCtl(int epfd, int op, int fd, int events, long data);
    /** Blocks for up to timeoutMillis (-1: forever). events == 0, maxEvents == 0 parks a userpoll epfd. */
    public static native int epollWait(int epfd, long eventsAddress, int maxEvents, int timeoutMillis);
    /** timeoutNanos &lt; 0 waits forever; -ENOSYS before Linux 5.11. */
    public static native int epollPwait2(int epfd, long eventsAddress, int maxEvents, long timeoutNanos);
    /** epoll_create2(flags, size) at syscall number {@code nr} (zeroed remaining args; see the C side). */
    public static native int epollCreate2(int nr, int flags, int size);

    // ---- eventfd / timerfd / close
    public static native int eventFd();
    public static native int eventFdWrite(int fd, long value);
    public static native long eventFdRead(int fd);
    public static native int timerFd();
    /** Arms a one-shot expiry delayNanos from now, or disarms with 0. */
    public static native int timerFdSetTime(int fd, long delayNanos);
    public static native int close(int fd);

    // ---- memory
    /** Returns the mapped address or -errno. */
    public static native long mmap(long length, int prot, int flags, int fd, long offset);
    public static native int munmap(long address, long length);
    public static native ByteBuffer wrapMemory(long address, int length);

    // ---- io_uring
    /** Returns the ring fd or -errno; {@code out} receives the mapping (see IoUringRingLayout). */
    public static native int ioUringSetup(int entries, int flags, int cqEntries, long[] out);
    /**
     * timeoutNanos &gt;= 0 bounds a GETEVENTS wait (EXT_ARG); -ETIME when it ran out.
     */
    public static native int ioUringEnter(int ringFd, int toSubmit, int minComplete, int flags, long timeoutNanos);

    /**
     * Registers {@code ringFd} with the calling thread (IORING_REGISTER_RING_FDS, Linux 5.18); its index then
     * replaces the fd in {@link #ioUringEnter} with {@link #IORING_ENTER_REGISTERED_RING}. Index, or -errno.
     */
    public static native int ioUringRegisterRingFd(int ringFd);

    /** Ends {@link #ioUringRegisterRingFd}'s registration {@code index}, on the thread that made it; 0 or -errno. */
    public static native int ioUringUnregisterRingFd(int ringFd, int index);

    // ---- sockets
    /** A connected non-blocking AF_UNIX stream pair into {@code fds[0..1]}; 0 or -errno. */
    public static native int socketPair(int[] fds);

    /** Sets {@code O_NONBLOCK} on an inherited fd; 0 or -errno. */
    public static native int setNonBlocking(int fd);

    /** {@code TCP_INFO} of {@code fd} into {@code out[0..31]} (the order of Netty's EpollTcpInfo); 0 or -errno. */
    public static native int tcpInfo(int fd, long[] out);

    /**
     * Whether {@code fd} is readable now (a listener: its backlog holds a connection), by {@code poll(2)} without
     * waiting: the revents ({@code POLLIN}, {@code POLLERR}, {@code POLLHUP}), 0 when not ready, or -errno.
     */
    public static native int pollIn(int fd);

    /** {@code SO_PEERCRED} of a Unix-domain socket into {@code out} = {pid, uid, gid}; 0 or -errno. */
    public static native int peerCredentials(int fd, int[] out);

    /** A {@code io.netty.channel.unix.PeerCredentials} (its constructor is package-private: JNI builds it). */
    public static native Object newPeerCredentials(int pid, int uid, int gid);

    /** sendfile from a DefaultFileRegion's open file at position + offset; advances its transferred count. */
    public static native long sendfileRegion(int outFd, io.netty.channel.DefaultFileRegion region,
                                             long position, long offset, long count);

    // ---- constants, read once above
    private static native int pageSize();
    private static native int epollIn();
    private static native int epollOut();
    private static native int epollRdHup();
    private static native int epollErr();
    private static native int epollHup();
    private static native int epollEt();
    private static native int epollExclusive();
    private static native int epollCtlAdd();
    private static native int epollCtlMod();
    private static native int epollCtlDel();
    private static native int sizeofEpollEvent();
    private static native int offsetofEpollData();
    private static native int errnoEagain();
    private static native int errnoEintr();
    private static native int errnoEstale();
    private static native int errnoEnosys();
    private static native int errnoEinval();
    private static native int errnoEnospc();
    private static native int errnoEnoent();
    private static native int errnoEbadf();
    private static native int errnoEperm();
    private static native int errnoEnomem();
    private static native int errnoEfault();
    private static native int errnoEtime();
    private static native int errnoEmfile();
    private static native int errnoEbusy();
    private static native int errnoEnfile();
    private static native int errnoEnobufs();
    private static native int mapProt();
    private static native int mapSharedFlags();
    private static native int mapAnonymousFlags();
    private static native int ioUringSetupOutLength();
    private static native int ioringSetupCoopTaskrun();
    private static native int ioringSetupTaskrunFlag();
    private static native int ioringSetupClamp();
    private static native int ioringFeatExtArg();

    private static native int ioringEnterGetevents();
    private static native int ioringEnterRegisteredRing();
    private static native int ioringSqCqOverflow();
    private static native int ioringSqTaskrun();
    private static native int ioringCqeFMore();
    private static native int ioringPollAddMulti();
    private static native int ioringOpNop();
    private static native int ioringOpPollAdd();
    private static native int ioringOpPollRemove();
    private static native int ioringOpAsyncCancel();
    private static native int ioringOpRecv();
    private static native int ioringOpSendmsg();
    private static native int sizeofIoUringSqe();
    private static native int sizeofIoUringCqe();
    private static native int sqeOffsetOpcode();
    private static native int sqeOffsetFd();
    private static native int sqeOffsetAddr();
    private static native int sqeOffsetLen();
    private static native int sqeOffsetOpFlags();
    private static native int sqeOffsetUserData();
    private static native int cqeOffsetUserData();
    private static native int cqeOffsetRes();
    private static native int cqeOffsetFlags();
    private static native int solSocket();
    private static native int ipprotoTcp();
    private static native int ipprotoIp();
    private static native int ipTos();
    private static native int ipv6Tclass();
    private static native int soBusyPoll();
    private static native int tcpQuickAck();
    private static native int tcpCork();
    private static native int tcpNotSentLowAt();
    private static native int tcpKeepIdle();
    private static native int tcpKeepIntvl();
    private static native int tcpKeepCnt();
    private static native int tcpUserTimeout();
    private static native int tcpFastopen();
    private static native int tcpFastopenConnect();
    private static native int tcpDeferAccept();
    private static native int soAcceptconn();
    private static native int msgDontwait();
    private static native int msgNosignal();
    private static native int sizeofMsghdr();
    private static native int msghdrOffsetIov();
    private static native int msghdrOffsetIovlen();
}
