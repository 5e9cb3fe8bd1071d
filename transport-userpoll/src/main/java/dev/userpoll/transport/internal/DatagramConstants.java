package dev.userpoll.transport.internal;

/**
 * Layouts ({@code msghdr}, {@code mmsghdr}, {@code sockaddr_*}, {@code cmsghdr}, {@code group_req}) and option
 * numbers of the datagram channels, read from the C headers once, through {@link DatagramNative}.
 */
public final class DatagramConstants {
    static {
        if (Native.PAGE_SIZE <= 0) { // loads the library, which registers DatagramNative's natives
            throw new IllegalStateException("native library not loaded");
        }
    }

    public static final int SIZEOF_MMSGHDR = DatagramNative.sizeofMmsghdr();
    public static final int MMSGHDR_OFFSET_LEN = DatagramNative.mmsghdrOffsetLen();
    public static final int MSGHDR_OFFSET_NAME = DatagramNative.msghdrOffsetName();
    public static final int MSGHDR_OFFSET_NAMELEN = DatagramNative.msghdrOffsetNamelen();
    public static final int MSGHDR_OFFSET_IOV = DatagramNative.msghdrOffsetIov();
    public static final int MSGHDR_OFFSET_IOVLEN = DatagramNative.msghdrOffsetIovlen();
    public static final int MSGHDR_OFFSET_CONTROL = DatagramNative.msghdrOffsetControl();
    public static final int MSGHDR_OFFSET_CONTROLLEN = DatagramNative.msghdrOffsetControllen();
    public static final int MSGHDR_OFFSET_FLAGS = DatagramNative.msghdrOffsetFlags();
    public static final int SIZEOF_SOCKADDR_STORAGE = DatagramNative.sizeofSockaddrStorage();
    public static final int SIZEOF_SOCKADDR_IN = DatagramNative.sizeofSockaddrIn();
    public static final int SIZEOF_SOCKADDR_IN6 = DatagramNative.sizeofSockaddrIn6();
    public static final int SOCKADDR_IN6_OFFSET_FLOWINFO = DatagramNative.sockaddrIn6OffsetFlowinfo();
    public static final int SOCKADDR_IN6_OFFSET_ADDR = DatagramNative.sockaddrIn6OffsetAddr();
    public static final int SOCKADDR_IN6_OFFSET_SCOPE_ID = DatagramNative.sockaddrIn6OffsetScopeId();
    public static final int SOCKADDR_IN_OFFSET_ADDR = DatagramNative.sockaddrInOffsetAddr();
    public static final int SOCKADDR_UN_OFFSET_PATH = DatagramNative.sockaddrUnOffsetPath();
    public static final int SIZEOF_SOCKADDR_UN = DatagramNative.sizeofSockaddrUn();
    public static final int SIZEOF_CMSGHDR = DatagramNative.sizeofCmsghdr();
    public static final int CMSGHDR_OFFSET_LEVEL = DatagramNative.cmsghdrOffsetLevel();
    public static final int CMSGHDR_OFFSET_TYPE = DatagramNative.cmsghdrOffsetType();
    public static final int CMSG_DATA_OFFSET = DatagramNative.cmsgDataOffset();
    public static final int CMSG_ALIGNMENT = DatagramNative.cmsgAlignment();
    public static final int SIZEOF_GROUP_REQ = DatagramNative.sizeofGroupReq();
    public static final int GROUP_REQ_OFFSET_GROUP = DatagramNative.groupReqOffsetGroup();
    public static final int SIZEOF_GROUP_SOURCE_REQ = DatagramNative.sizeofGroupSourceReq();
    public static final int GROUP_SOURCE_REQ_OFFSET_GROUP = DatagramNative.groupSourceReqOffsetGroup();
    public static final int GROUP_SOURCE_REQ_OFFSET_SOURCE = DatagramNative.groupSourceReqOffsetSource();
    public static final int SIZEOF_IP_MREQN = DatagramNative.sizeofIpMreqn();
    public static final int IP_MREQN_OFFSET_IFINDEX = DatagramNative.ipMreqnOffsetIfindex();
    public static final int AF_INET = DatagramNative.afInet();
    public static final int AF_INET6 = DatagramNative.afInet6();
    public static final int AF_UNIX = DatagramNative.afUnix();
    public static final int IPPROTO_IPV6 = DatagramNative.ipprotoIpv6();
    public static final int SOL_UDP = DatagramNative.solUdp();
    public static final int UDP_SEGMENT = DatagramNative.udpSegment();
    public static final int UDP_GRO = DatagramNative.udpGro();
    public static final int IP_RECV_ORIG_DST_ADDR = DatagramNative.ipRecvOrigDstAddr();
    public static final int IP_ORIG_DST_ADDR = DatagramNative.ipOrigDstAddr();
    public static final int IP_FREEBIND = DatagramNative.ipFreebind();
    public static final int IP_TRANSPARENT = DatagramNative.ipTransparent();
    public static final int IP_MULTICAST_IF = DatagramNative.ipMulticastIf();
    public static final int IP_MULTICAST_TTL = DatagramNative.ipMulticastTtl();
    public static final int IP_MULTICAST_LOOP = DatagramNative.ipMulticastLoop();
    public static final int IP_MULTICAST_ALL = DatagramNative.ipMulticastAll();
    public static final int IPV6_MULTICAST_IF = DatagramNative.ipv6MulticastIf();
    public static final int IPV6_MULTICAST_HOPS = DatagramNative.ipv6MulticastHops();
    public static final int IPV6_MULTICAST_LOOP = DatagramNative.ipv6MulticastLoop();
    public static final int IPV6_MULTICAST_ALL = DatagramNative.ipv6MulticastAll();
    public static final int MCAST_JOIN_GROUP = DatagramNative.mcastJoinGroup();
    public static final int MCAST_LEAVE_GROUP = DatagramNative.mcastLeaveGroup();
    public static final int MCAST_JOIN_SOURCE_GROUP = DatagramNative.mcastJoinSourceGroup();
    public static final int MCAST_LEAVE_SOURCE_GROUP = DatagramNative.mcastLeaveSourceGroup();
    public static final int MCAST_BLOCK_SOURCE = DatagramNative.mcastBlockSource();
    public static final int MCAST_UNBLOCK_SOURCE = DatagramNative.mcastUnblockSource();
    public static final int MSG_TRUNC = DatagramNative.msgTrunc();
    public static final int MSG_CTRUNC = DatagramNative.msgCtrunc();
    public static final int IORING_OP_RECVMSG = DatagramNative.ioringOpRecvmsg();

    private DatagramConstants() {
    }
}
