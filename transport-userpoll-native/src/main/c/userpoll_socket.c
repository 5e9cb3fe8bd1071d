/*
 * Socket pieces that io.netty.channel.unix.Socket does not have: sendfile for FileRegion, and the
 * Linux option numbers that the channels set through Socket.setIntOpt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
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
CONSTANT(msgDontwait, MSG_DONTWAIT)
CONSTANT(msgNosignal, MSG_NOSIGNAL)
CONSTANT(sizeofMsghdr, sizeof(struct msghdr))
CONSTANT(msghdrOffsetIov, offsetof(struct msghdr, msg_iov))
CONSTANT(msghdrOffsetIovlen, offsetof(struct msghdr, msg_iovlen))
#undef CONSTANT

static const JNINativeMethod method_table[] = {
    { "sendfileRegion", "(ILio/netty/channel/DefaultFileRegion;JJJ)J", (void*) userpoll_sendfileRegion },
    { "socketPair", "([I)I", (void*) userpoll_socketPair },
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
