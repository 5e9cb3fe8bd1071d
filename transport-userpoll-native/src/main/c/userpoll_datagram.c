/*
 * Datagram I/O of the UDP and Unix-domain datagram channels: recvmmsg/sendmmsg/recvmsg/sendmsg over message
 * headers that the Java side lays out in native memory (DatagramArena), so no call takes or makes a Java object
 * and nothing is allocated per datagram. Also the layouts (msghdr, mmsghdr, sockaddr_*, cmsghdr, group_req) and
 * the option numbers the Java side needs, read once. recvmmsg is GLIBC_2.12 and sendmmsg GLIBC_2.14: both stay
 * under the library's 2.17 floor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/io_uring.h>

#include "netty_jni_util.h"
#include "userpoll_native.h"

#define DATAGRAM_NATIVE_CLASSNAME "dev/userpoll/transport/internal/DatagramNative"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef IP_RECVORIGDSTADDR
#define IP_RECVORIGDSTADDR 20
#endif
#ifndef IP_ORIGDSTADDR
#define IP_ORIGDSTADDR IP_RECVORIGDSTADDR
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

/* Each returns the count or bytes, or -errno; a signal before any datagram moved is retried. */
static jint userpoll_recvmmsg(JNIEnv* env, jclass clazz, jint fd, jlong msgvec, jint vlen) {
    int res;
    do {
        res = recvmmsg(fd, (struct mmsghdr*) (intptr_t) msgvec, (unsigned int) vlen, 0, NULL);
    } while (res < 0 && errno == EINTR);
    return res < 0 ? -errno : res;
}

static jint userpoll_sendmmsg(JNIEnv* env, jclass clazz, jint fd, jlong msgvec, jint vlen) {
    int res;
    do {
        res = sendmmsg(fd, (struct mmsghdr*) (intptr_t) msgvec, (unsigned int) vlen, MSG_NOSIGNAL);
    } while (res < 0 && errno == EINTR);
    return res < 0 ? -errno : res;
}

static jint userpoll_recvmsg(JNIEnv* env, jclass clazz, jint fd, jlong msghdr) {
    ssize_t res;
    do {
        res = recvmsg(fd, (struct msghdr*) (intptr_t) msghdr, 0);
    } while (res < 0 && errno == EINTR);
    return res < 0 ? -errno : (jint) res;
}

static jint userpoll_sendmsg(JNIEnv* env, jclass clazz, jint fd, jlong msghdr) {
    ssize_t res;
    do {
        res = sendmsg(fd, (struct msghdr*) (intptr_t) msghdr, MSG_NOSIGNAL);
    } while (res < 0 && errno == EINTR);
    return res < 0 ? -errno : (jint) res;
}

#define CONSTANT(name, value) static jint userpoll_##name(JNIEnv* env, jclass clazz) { return (jint) (value); }
CONSTANT(sizeofMmsghdr, sizeof(struct mmsghdr))
CONSTANT(mmsghdrOffsetLen, offsetof(struct mmsghdr, msg_len))
CONSTANT(msghdrOffsetName, offsetof(struct msghdr, msg_name))
CONSTANT(msghdrOffsetNamelen, offsetof(struct msghdr, msg_namelen))
CONSTANT(msghdrOffsetIov, offsetof(struct msghdr, msg_iov))
CONSTANT(msghdrOffsetIovlen, offsetof(struct msghdr, msg_iovlen))
CONSTANT(msghdrOffsetControl, offsetof(struct msghdr, msg_control))
CONSTANT(msghdrOffsetControllen, offsetof(struct msghdr, msg_controllen))
CONSTANT(msghdrOffsetFlags, offsetof(struct msghdr, msg_flags))
CONSTANT(sizeofSockaddrStorage, sizeof(struct sockaddr_storage))
CONSTANT(sizeofSockaddrIn, sizeof(struct sockaddr_in))
CONSTANT(sizeofSockaddrIn6, sizeof(struct sockaddr_in6))
CONSTANT(sockaddrIn6OffsetFlowinfo, offsetof(struct sockaddr_in6, sin6_flowinfo))
CONSTANT(sockaddrIn6OffsetAddr, offsetof(struct sockaddr_in6, sin6_addr))
CONSTANT(sockaddrIn6OffsetScopeId, offsetof(struct sockaddr_in6, sin6_scope_id))
CONSTANT(sockaddrInOffsetAddr, offsetof(struct sockaddr_in, sin_addr))
CONSTANT(sockaddrUnOffsetPath, offsetof(struct sockaddr_un, sun_path))
CONSTANT(sizeofSockaddrUn, sizeof(struct sockaddr_un))
CONSTANT(sizeofCmsghdr, sizeof(struct cmsghdr))
CONSTANT(cmsghdrOffsetLevel, offsetof(struct cmsghdr, cmsg_level))
CONSTANT(cmsghdrOffsetType, offsetof(struct cmsghdr, cmsg_type))
CONSTANT(cmsgDataOffset, CMSG_LEN(0))
CONSTANT(cmsgAlignment, sizeof(size_t))
CONSTANT(sizeofGroupReq, sizeof(struct group_req))
CONSTANT(groupReqOffsetGroup, offsetof(struct group_req, gr_group))
CONSTANT(sizeofGroupSourceReq, sizeof(struct group_source_req))
CONSTANT(groupSourceReqOffsetGroup, offsetof(struct group_source_req, gsr_group))
CONSTANT(groupSourceReqOffsetSource, offsetof(struct group_source_req, gsr_source))
CONSTANT(sizeofIpMreqn, sizeof(struct ip_mreqn))
CONSTANT(ipMreqnOffsetIfindex, offsetof(struct ip_mreqn, imr_ifindex))
CONSTANT(afInet, AF_INET)
CONSTANT(afInet6, AF_INET6)
CONSTANT(afUnix, AF_UNIX)
CONSTANT(ipprotoIpv6, IPPROTO_IPV6)
CONSTANT(solUdp, SOL_UDP)
CONSTANT(udpSegment, UDP_SEGMENT)
CONSTANT(udpGro, UDP_GRO)
CONSTANT(ipRecvOrigDstAddr, IP_RECVORIGDSTADDR)
CONSTANT(ipOrigDstAddr, IP_ORIGDSTADDR)
CONSTANT(ipFreebind, IP_FREEBIND)
CONSTANT(ipTransparent, IP_TRANSPARENT)
CONSTANT(ipMulticastIf, IP_MULTICAST_IF)
CONSTANT(ipMulticastTtl, IP_MULTICAST_TTL)
CONSTANT(ipMulticastLoop, IP_MULTICAST_LOOP)
CONSTANT(ipMulticastAll, IP_MULTICAST_ALL)
CONSTANT(ipv6MulticastIf, IPV6_MULTICAST_IF)
CONSTANT(ipv6MulticastHops, IPV6_MULTICAST_HOPS)
CONSTANT(ipv6MulticastLoop, IPV6_MULTICAST_LOOP)
CONSTANT(ipv6MulticastAll, IPV6_MULTICAST_ALL)
CONSTANT(mcastJoinGroup, MCAST_JOIN_GROUP)
CONSTANT(mcastLeaveGroup, MCAST_LEAVE_GROUP)
CONSTANT(mcastJoinSourceGroup, MCAST_JOIN_SOURCE_GROUP)
CONSTANT(mcastLeaveSourceGroup, MCAST_LEAVE_SOURCE_GROUP)
CONSTANT(mcastBlockSource, MCAST_BLOCK_SOURCE)
CONSTANT(mcastUnblockSource, MCAST_UNBLOCK_SOURCE)
CONSTANT(msgTrunc, MSG_TRUNC)
CONSTANT(msgCtrunc, MSG_CTRUNC)
CONSTANT(ioringOpRecvmsg, IORING_OP_RECVMSG)
#undef CONSTANT

#define C(name) { #name, "()I", (void*) userpoll_##name }
static const JNINativeMethod method_table[] = {
    { "recvmmsg", "(IJI)I", (void*) userpoll_recvmmsg },
    { "sendmmsg", "(IJI)I", (void*) userpoll_sendmmsg },
    { "recvmsg", "(IJ)I", (void*) userpoll_recvmsg },
    { "sendmsg", "(IJ)I", (void*) userpoll_sendmsg },
    C(sizeofMmsghdr), C(mmsghdrOffsetLen), C(msghdrOffsetName), C(msghdrOffsetNamelen), C(msghdrOffsetIov),
    C(msghdrOffsetIovlen), C(msghdrOffsetControl), C(msghdrOffsetControllen), C(msghdrOffsetFlags),
    C(sizeofSockaddrStorage), C(sizeofSockaddrIn), C(sizeofSockaddrIn6), C(sockaddrIn6OffsetFlowinfo),
    C(sockaddrIn6OffsetAddr), C(sockaddrIn6OffsetScopeId), C(sockaddrInOffsetAddr), C(sockaddrUnOffsetPath),
    C(sizeofSockaddrUn), C(sizeofCmsghdr), C(cmsghdrOffsetLevel), C(cmsghdrOffsetType), C(cmsgDataOffset),
    C(cmsgAlignment), C(sizeofGroupReq), C(groupReqOffsetGroup), C(sizeofGroupSourceReq),
    C(groupSourceReqOffsetGroup), C(groupSourceReqOffsetSource), C(sizeofIpMreqn), C(ipMreqnOffsetIfindex),
    C(afInet), C(afInet6), C(afUnix), C(ipprotoIpv6), C(solUdp), C(udpSegment), C(udpGro), C(ipRecvOrigDstAddr),
    C(ipOrigDstAddr), C(ipFreebind), C(ipTransparent), C(ipMulticastIf), C(ipMulticastTtl), C(ipMulticastLoop),
    C(ipMulticastAll), C(ipv6MulticastIf), C(ipv6MulticastHops), C(ipv6MulticastLoop), C(ipv6MulticastAll),
    C(mcastJoinGroup), C(mcastLeaveGroup), C(mcastJoinSourceGroup), C(mcastLeaveSourceGroup),
    C(mcastBlockSource), C(mcastUnblockSource), C(msgTrunc), C(msgCtrunc), C(ioringOpRecvmsg),
};
#undef C

jint userpoll_datagram_register(JNIEnv* env, const char* packagePrefix) {
    return netty_jni_util_register_natives(env, packagePrefix, DATAGRAM_NATIVE_CLASSNAME, method_table,
                                           COUNT_OF(method_table));
}

void userpoll_datagram_unregister(JNIEnv* env, const char* packagePrefix) {
    netty_jni_util_unregister_natives(env, packagePrefix, DATAGRAM_NATIVE_CLASSNAME);
}
