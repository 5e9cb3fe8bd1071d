/*
 * Socket pieces that io.netty.channel.unix.Socket does not have: sendfile for FileRegion, and the
 * Linux option numbers that the channels set through Socket.setIntOpt.
 */
#define _GNU_SOURCE
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

/* Returns bytes sent, or -errno; offset is the file position to send from (not updated in the fd). */
static jlong userpoll_sendfile(JNIEnv* env, jclass clazz, jint outFd, jint inFd, jlong offset, jlong count) {
    off_t off = (off_t) offset;
    ssize_t n = sendfile(outFd, inFd, &off, (size_t) count);
    return n < 0 ? -errno : (jlong) n;
}

#define CONSTANT(name, value) static jint userpoll_##name(JNIEnv* env, jclass clazz) { return (jint) (value); }
CONSTANT(solSocket, SOL_SOCKET)
CONSTANT(ipprotoTcp, IPPROTO_TCP)
CONSTANT(ipprotoIp, IPPROTO_IP)
CONSTANT(ipprotoIpv6, IPPROTO_IPV6)
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
#undef CONSTANT

static const JNINativeMethod method_table[] = {
    { "sendfile", "(IIJJ)J", (void*) userpoll_sendfile },
    { "solSocket", "()I", (void*) userpoll_solSocket },
    { "ipprotoTcp", "()I", (void*) userpoll_ipprotoTcp },
    { "ipprotoIp", "()I", (void*) userpoll_ipprotoIp },
    { "ipprotoIpv6", "()I", (void*) userpoll_ipprotoIpv6 },
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
};

jint userpoll_socket_register(JNIEnv* env, const char* packagePrefix) {
    return netty_jni_util_register_natives(env, packagePrefix, NATIVE_CLASSNAME, method_table, COUNT_OF(method_table));
}

void userpoll_socket_unregister(JNIEnv* env, const char* packagePrefix) {
    /* One unregister in userpoll_native.c covers every slice of the class. */
}
