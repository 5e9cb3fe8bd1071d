/*
 * Socket pieces that io.netty.channel.unix.Socket does not have: sendfile for FileRegion, and the
 * Linux option numbers that the channels set through Socket.setIntOpt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netty_jni_util.h"
#include "userpoll_native.h"

#ifndef TCP_NOTSENT_LOWAT
#define TCP_NOTSENT_LOWAT 25
#endif
#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif
#ifndef SO_BUSY_POLL
#define SO_BUSY_POLL 46
#endif

/*
 * sendfile(2) from a io.netty.channel.DefaultFileRegion: its FileChannel's fd is read through JNI (no
 * reflection or --add-opens needed) and its transferred count advanced, as Netty's own transports do.
 */
static jfieldID regionFileField, regionTransferredField, channelFdField, descriptorFdField;

static int init_region_fields(JNIEnv* env, jobject region) {
    jclass regionClass = (*env)->GetObjectClass(env, region);
    regionFileField = (*env)->GetFieldID(env, regionClass, "file", "Ljava/nio/channels/FileChannel;");
    if (regionFileField == NULL) return -1;
    regionTransferredField = (*env)->GetFieldID(env, regionClass, "transferred", "J");
    if (regionTransferredField == NULL) return -1;
    jobject channel = (*env)->GetObjectField(env, region, regionFileField);
    if (channel == NULL) return -1;
    channelFdField = (*env)->GetFieldID(env, (*env)->GetObjectClass(env, channel), "fd", "Ljava/io/FileDescriptor;");
    if (channelFdField == NULL) return -1;
    jclass descriptorClass = (*env)->FindClass(env, "java/io/FileDescriptor");
    if (descriptorClass == NULL) return -1;
    descriptorFdField = (*env)->GetFieldID(env, descriptorClass, "fd", "I");
    return descriptorFdField == NULL ? -1 : 0;
}

static jlong userpoll_sendfileRegion(JNIEnv* env, jclass clazz, jint outFd, jobject region, jlong position, jlong offset, jlong count) {
    if (descriptorFdField == NULL && init_region_fields(env, region) != 0) {
        (*env)->ExceptionClear(env);
        return -EINVAL;
    }
    jobject channel = (*env)->GetObjectField(env, region, regionFileField);
    if (channel == NULL) return -EBADF;
    jobject descriptor = (*env)->GetObjectField(env, channel, channelFdField);
    if (descriptor == NULL) return -EBADF;
    jint inFd = (*env)->GetIntField(env, descriptor, descriptorFdField);
    off_t off = (off_t) (position + offset);
    ssize_t n;
    do {
        n = sendfile(outFd, inFd, &off, (size_t) count);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -errno;
    }
    if (n > 0) {
        jlong transferred = (*env)->GetLongField(env, region, regionTransferredField);
        (*env)->SetLongField(env, region, regionTransferredField, transferred + n);
    }
    return (jlong) n;
}

/* O_NONBLOCK on an fd this process inherited (socket activation); 0 or -errno. */
static jint userpoll_setNonBlocking(JNIEnv* env, jclass clazz, jint fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || ((flags & O_NONBLOCK) == 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)) {
        return -errno;
    }
    return 0;
}

/*
 * Whether a listener's backlog holds a connection, without taking it: poll(2) with no wait, the revents (POLLIN,
 * or POLLERR/POLLHUP) or 0, or -errno. A failing accept4(2) costs several times more (the kernel allocates and
 * frees an inode and a file for the connection it did not find), so a listener asks this after an accept.
 */
static jint userpoll_pollIn(JNIEnv* env, jclass clazz, jint fd) {
    struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
    int res = poll(&pfd, 1, 0);
    if (res < 0) {
        return -errno;
    }
    return res == 0 ? 0 : pfd.revents;
}

/*
 * TCP_INFO into out[0..31], each field widened without sign, in the order of Netty's EpollTcpInfo (state,
 * ca_state, retransmits, probes, backoff, options, snd_wscale, rcv_wscale, rto, ato, snd_mss, rcv_mss, unacked,
 * sacked, lost, retrans, fackets, last_data_sent, last_ack_sent, last_data_recv, last_ack_recv, pmtu,
 * rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering, rcv_rtt, rcv_space, total_retrans);
 * 0 or -errno.
 */
static jint userpoll_tcpInfo(JNIEnv* env, jclass clazz, jint fd, jlongArray out) {
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) {
        return -errno;
    }
    const uint64_t fields[32] = {
        ti.tcpi_state, ti.tcpi_ca_state, ti.tcpi_retransmits, ti.tcpi_probes, ti.tcpi_backoff, ti.tcpi_options,
        ti.tcpi_snd_wscale, ti.tcpi_rcv_wscale, ti.tcpi_rto, ti.tcpi_ato, ti.tcpi_snd_mss, ti.tcpi_rcv_mss,
        ti.tcpi_unacked, ti.tcpi_sacked, ti.tcpi_lost, ti.tcpi_retrans, ti.tcpi_fackets, ti.tcpi_last_data_sent,
        ti.tcpi_last_ack_sent, ti.tcpi_last_data_recv, ti.tcpi_last_ack_recv, ti.tcpi_pmtu, ti.tcpi_rcv_ssthresh,
        ti.tcpi_rtt, ti.tcpi_rttvar, ti.tcpi_snd_ssthresh, ti.tcpi_snd_cwnd, ti.tcpi_advmss, ti.tcpi_reordering,
        ti.tcpi_rcv_rtt, ti.tcpi_rcv_space, ti.tcpi_total_retrans,
    };
    jlong values[32];
    for (int i = 0; i < 32; i++) {
        values[i] = (jlong) fields[i];
    }
    (*env)->SetLongArrayRegion(env, out, 0, 32, values);
    return 0;
}

/* A connected, non-blocking AF_UNIX stream pair into fds[0..1]; 0 or -errno. For probes and tests. */
static jint userpoll_socketPair(JNIEnv* env, jclass clazz, jintArray fds) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        return -errno;
    }
    jint out[2] = { sv[0], sv[1] };
    (*env)->SetIntArrayRegion(env, fds, 0, 2, out);
    return 0;
}

#define CONSTANT(name, value) static jint userpoll_##name(JNIEnv* env, jclass clazz) { return (jint) (value); }
CONSTANT(solSocket, SOL_SOCKET)
CONSTANT(ipprotoTcp, IPPROTO_TCP)
CONSTANT(ipprotoIp, IPPROTO_IP)
CONSTANT(ipTos, IP_TOS)
CONSTANT(ipv6Tclass, IPV6_TCLASS)
CONSTANT(soBusyPoll, SO_BUSY_POLL)
CONSTANT(tcpQuickAck, TCP_QUICKACK)
CONSTANT(tcpCork, TCP_CORK)
CONSTANT(tcpNotSentLowAt, TCP_NOTSENT_LOWAT)
CONSTANT(tcpKeepIdle, TCP_KEEPIDLE)
CONSTANT(tcpKeepIntvl, TCP_KEEPINTVL)
CONSTANT(tcpKeepCnt, TCP_KEEPCNT)
CONSTANT(tcpUserTimeout, TCP_USER_TIMEOUT)
CONSTANT(tcpFastopen, TCP_FASTOPEN)
CONSTANT(tcpFastopenConnect, TCP_FASTOPEN_CONNECT)
CONSTANT(tcpDeferAccept, TCP_DEFER_ACCEPT)
CONSTANT(soAcceptconn, SO_ACCEPTCONN)
CONSTANT(msgDontwait, MSG_DONTWAIT)
CONSTANT(msgNosignal, MSG_NOSIGNAL)
CONSTANT(sizeofMsghdr, sizeof(struct msghdr))
CONSTANT(msghdrOffsetIov, offsetof(struct msghdr, msg_iov))
CONSTANT(msghdrOffsetIovlen, offsetof(struct msghdr, msg_iovlen))
#undef CONSTANT

static const JNINativeMethod method_table[] = {
    { "sendfileRegion", "(ILio/netty/channel/DefaultFileRegion;JJJ)J", (void*) userpoll_sendfileRegion },
    { "socketPair", "([I)I", (void*) userpoll_socketPair },
    { "setNonBlocking", "(I)I", (void*) userpoll_setNonBlocking },
    { "tcpInfo", "(I[J)I", (void*) userpoll_tcpInfo },
    { "pollIn", "(I)I", (void*) userpoll_pollIn },
    { "soAcceptconn", "()I", (void*) userpoll_soAcceptconn },
    { "solSocket", "()I", (void*) userpoll_solSocket },
    { "ipprotoTcp", "()I", (void*) userpoll_ipprotoTcp },
    { "ipprotoIp", "()I", (void*) userpoll_ipprotoIp },
    { "ipTos", "()I", (void*) userpoll_ipTos },
    { "ipv6Tclass", "()I", (void*) userpoll_ipv6Tclass },
    { "soBusyPoll", "()I", (void*) userpoll_soBusyPoll },
    { "tcpQuickAck", "()I", (void*) userpoll_tcpQuickAck },
    { "tcpCork", "()I", (void*) userpoll_tcpCork },
    { "tcpNotSentLowAt", "()I", (void*) userpoll_tcpNotSentLowAt },
    { "tcpKeepIdle", "()I", (void*) userpoll_tcpKeepIdle },
    { "tcpKeepIntvl", "()I", (void*) userpoll_tcpKeepIntvl },
    { "tcpKeepCnt", "()I", (void*) userpoll_tcpKeepCnt },
    { "tcpUserTimeout", "()I", (void*) userpoll_tcpUserTimeout },
    { "tcpFastopen", "()I", (void*) userpoll_tcpFastopen },
    { "tcpFastopenConnect", "()I", (void*) userpoll_tcpFastopenConnect },
    { "tcpDeferAccept", "()I", (void*) userpoll_tcpDeferAccept },
    { "msgDontwait", "()I", (void*) userpoll_msgDontwait },
    { "msgNosignal", "()I", (void*) userpoll_msgNosignal },
    { "sizeofMsghdr", "()I", (void*) userpoll_sizeofMsghdr },
    { "msghdrOffsetIov", "()I", (void*) userpoll_msghdrOffsetIov },
    { "msghdrOffsetIovlen", "()I", (void*) userpoll_msghdrOffsetIovlen },
};

jint userpoll_socket_register(JNIEnv* env, const char* packagePrefix) {
    return netty_jni_util_register_natives(env, packagePrefix, NATIVE_CLASSNAME, method_table, COUNT_OF(method_table));
}

void userpoll_socket_unregister(JNIEnv* env, const char* packagePrefix) {
    /* One unregister in userpoll_native.c covers every slice of the class. */
}
