package dev.userpoll.transport.internal;

/**
 * The JNI slice of the datagram channels ({@code userpoll_datagram.c}): system calls over message headers laid out
 * in native memory by the caller, and the getters of the layouts and option numbers that {@link DatagramConstants}
 * reads once. Syscall
 * wrappers return their result or {@code -errno}, as {@link Native}'s do. Loading this class loads the library
 * through {@link Native} first (its {@code JNI_OnLoad} registers these natives too).
 */
public final class DatagramNative {
    /**
     * Touching {@link Native} loads the library, whose {@code JNI_OnLoad} registers this class's natives. (No
     * check of the value here: {@code JNI_OnLoad}'s {@code FindClass} initializes this class while {@link Native}'s
     * own initialization is still under way, so nothing here may call a native or expect Native's constants. The
     * constants live in {@link DatagramConstants} for that reason.)
     */
    private static final int LIBRARY_PAGE_SIZE = Native.PAGE_SIZE;


    private DatagramNative() {
    }

    /** {@code recvmmsg(fd, msgvec, vlen, 0, NULL)}: datagrams received, or -errno ({@code -EAGAIN}: none). */
    public static native int recvmmsg(int fd, long msgvec, int vlen);

    /** {@code sendmmsg(fd, msgvec, vlen, MSG_NOSIGNAL)}: datagrams sent, or -errno. */
    public static native int sendmmsg(int fd, long msgvec, int vlen);

    /** {@code recvmsg(fd, msghdr, 0)}: bytes received, or -errno. */
    public static native int recvmsg(int fd, long msghdr);

    /** {@code sendmsg(fd, msghdr, MSG_NOSIGNAL)}: bytes sent, or -errno. */
    public static native int sendmsg(int fd, long msghdr);

    // ---- constants, read once by DatagramConstants
    static native int sizeofMmsghdr();
    static native int mmsghdrOffsetLen();
    static native int msghdrOffsetName();
    static native int msghdrOffsetNamelen();
    static native int msghdrOffsetIov();
    static native int msghdrOffsetIovlen();
    static native int msghdrOffsetControl();
    static native int msghdrOffsetControllen();
    static native int msghdrOffsetFlags();
    static native int sizeofSockaddrStorage();
    static native int sizeofSockaddrIn();
    static native int sizeofSockaddrIn6();
    static native int sockaddrIn6OffsetFlowinfo();
    static native int sockaddrIn6OffsetAddr();
    static native int sockaddrIn6OffsetScopeId();
    static native int sockaddrInOffsetAddr();
    static native int sockaddrUnOffsetPath();
    static native int sizeofSockaddrUn();
    static native int sizeofCmsghdr();
    static native int cmsghdrOffsetLevel();
    static native int cmsghdrOffsetType();
    static native int cmsgDataOffset();
    static native int cmsgAlignment();
    static native int sizeofGroupReq();
    static native int groupReqOffsetGroup();
    static native int sizeofGroupSourceReq();
    static native int groupSourceReqOffsetGroup();
    static native int groupSourceReqOffsetSource();
    static native int sizeofIpMreqn();
    static native int ipMreqnOffsetIfindex();
    static native int afInet();
    static native int afInet6();
    static native int afUnix();
    static native int ipprotoIpv6();
    static native int solUdp();
    static native int udpSegment();
    static native int udpGro();
    static native int ipRecvOrigDstAddr();
    static native int ipOrigDstAddr();
    static native int ipFreebind();
    static native int ipTransparent();
    static native int ipMulticastIf();
    static native int ipMulticastTtl();
    static native int ipMulticastLoop();
    static native int ipMulticastAll();
    static native int ipv6MulticastIf();
    static native int ipv6MulticastHops();
    static native int ipv6MulticastLoop();
    static native int ipv6MulticastAll();
    static native int mcastJoinGroup();
    static native int mcastLeaveGroup();
    static native int mcastJoinSourceGroup();
    static native int mcastLeaveSourceGroup();
    static native int mcastBlockSource();
    static native int mcastUnblockSource();
    static native int msgTrunc();
    static native int msgCtrunc();
    static native int ioringOpRecvmsg();
}
