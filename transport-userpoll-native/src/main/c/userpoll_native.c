/*
 * JNI entry points of netty-transport-userpoll: epoll (plain and EPOLL_USERPOLL), eventfd, timerfd,
 * mmap, and the kernel constants the Java side reads once at load time. Nothing here is called per
 * event: the rings are read from Java over direct buffers that wrap the mappings made here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "netty_jni_util.h"
#include "netty_unix.h"
#include "userpoll_native.h"

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#ifndef EPOLLEXCLUSIVE
#define EPOLLEXCLUSIVE (1U << 28)
#endif

static const char* staticPackagePrefix = NULL;
static int registerUnixCalled = 0;

/* ---- constants (read once by Native's static initializer) ---- */
#define CONSTANT(name, value) static jint userpoll_##name(JNIEnv* env, jclass clazz) { return (jint) (value); }
CONSTANT(epollIn, EPOLLIN)
CONSTANT(epollOut, EPOLLOUT)
CONSTANT(epollRdHup, EPOLLRDHUP)
CONSTANT(epollErr, EPOLLERR)
CONSTANT(epollHup, EPOLLHUP)
CONSTANT(epollEt, EPOLLET)
CONSTANT(epollExclusive, EPOLLEXCLUSIVE)
CONSTANT(epollCtlAdd, EPOLL_CTL_ADD)
CONSTANT(epollCtlMod, EPOLL_CTL_MOD)
CONSTANT(epollCtlDel, EPOLL_CTL_DEL)
CONSTANT(sizeofEpollEvent, sizeof(struct epoll_event))
CONSTANT(offsetofEpollData, offsetof(struct epoll_event, data))
CONSTANT(errnoEagain, EAGAIN)
CONSTANT(errnoEintr, EINTR)
CONSTANT(errnoEstale, ESTALE)
CONSTANT(errnoEnosys, ENOSYS)
CONSTANT(errnoEinval, EINVAL)
CONSTANT(errnoEnospc, ENOSPC)
CONSTANT(errnoEnoent, ENOENT)
CONSTANT(errnoEbadf, EBADF)
CONSTANT(errnoEperm, EPERM)
CONSTANT(errnoEnomem, ENOMEM)
CONSTANT(errnoEfault, EFAULT)
CONSTANT(errnoEtime, ETIME)
CONSTANT(errnoEmfile, EMFILE)
CONSTANT(errnoEbusy, EBUSY)
CONSTANT(errnoEnfile, ENFILE)
CONSTANT(errnoEnobufs, ENOBUFS)
CONSTANT(pageSize, sysconf(_SC_PAGESIZE))
#undef CONSTANT

/* ---- the unix-common natives (io.netty.channel.unix), registered once per JVM through Unix ---- */
static jint userpoll_registerUnix(JNIEnv* env, jclass clazz) {
    registerUnixCalled = 1;
    return netty_unix_register(env, staticPackagePrefix);
}

/* ---- epoll ---- */
static jint userpoll_epollCreate(JNIEnv* env, jclass clazz) {
    RETURN_OR_ERRNO(epoll_create1(EPOLL_CLOEXEC));
}

static jint userpoll_epollCtl(JNIEnv* env, jclass clazz, jint epfd, jint op, jint fd, jint events, jlong data) {
    struct epoll_event ev = { .events = (uint32_t) events, .data.u64 = (uint64_t) data };
    RETURN_OR_ERRNO(epoll_ctl(epfd, op, fd, &ev));
}

/* Blocks when timeoutMillis != 0. events == 0 && maxEvents == 0 is the EPOLL_USERPOLL park call. */
static jint userpoll_epollWait(JNIEnv* env, jclass clazz, jint epfd, jlong events, jint maxEvents, jint timeoutMillis) {
    RETURN_OR_ERRNO(epoll_wait(epfd, (struct epoll_event*) (intptr_t) events, maxEvents, timeoutMillis));
}

/* timeoutNanos < 0 waits forever. -ENOSYS on kernels before 5.11: the caller falls back to epollWait. */
static jint userpoll_epollPwait2(JNIEnv* env, jclass clazz, jint epfd, jlong events, jint maxEvents, jlong timeoutNanos) {
    struct timespec ts;
    struct timespec* tsp = NULL;
    if (timeoutNanos >= 0) {
        ts.tv_sec = timeoutNanos / 1000000000L;
        ts.tv_nsec = timeoutNanos % 1000000000L;
        tsp = &ts;
    }
    RETURN_OR_ERRNO(syscall(SYS_epoll_pwait2, epfd, (struct epoll_event*) (intptr_t) events, maxEvents, tsp, NULL, 0));
}

/*
 * epoll_create2(flags, size) of the EPOLL_USERPOLL patches, at a number the caller chooses. The
 * remaining argument registers are zeroed so that the mainline syscalls at 428 (open_tree) and 437
 * (openat2) fail harmlessly: size < 65536 is an unmappable user pointer (EFAULT) for open_tree, and
 * openat2 rejects usize 0 with EINVAL. The Java side proves the fd is an eventpoll before using it.
 */
static jint userpoll_epollCreate2(JNIEnv* env, jclass clazz, jint syscallNumber, jint flags, jint size) {
    RETURN_OR_ERRNO(syscall((long) syscallNumber, (long) flags, (long) size, 0L, 0L, 0L, 0L));
}

/* ---- eventfd / timerfd ---- */
static jint userpoll_eventFd(JNIEnv* env, jclass clazz) {
    RETURN_OR_ERRNO(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

static jint userpoll_eventFdWrite(JNIEnv* env, jclass clazz, jint fd, jlong value) {
    uint64_t v = (uint64_t) value;
    RETURN_OR_ERRNO(write(fd, &v, sizeof(v)));
}

/* Returns the counter (> 0), or -errno (-EAGAIN when it was 0). */
static jlong userpoll_eventFdRead(JNIEnv* env, jclass clazz, jint fd) {
    uint64_t v = 0;
    if (read(fd, &v, sizeof(v)) < 0) {
        return -errno;
    }
    return (jlong) v;
}

static jint userpoll_timerFd(JNIEnv* env, jclass clazz) {
    RETURN_OR_ERRNO(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
}

/* Arms a one-shot relative expiry of delayNanos (> 0), or disarms with 0. */
static jint userpoll_timerFdSetTime(JNIEnv* env, jclass clazz, jint fd, jlong delayNanos) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof(spec));
    spec.it_value.tv_sec = delayNanos / 1000000000L;
    spec.it_value.tv_nsec = delayNanos % 1000000000L;
    RETURN_OR_ERRNO(timerfd_settime(fd, 0, &spec, NULL));
}

static jint userpoll_close(JNIEnv* env, jclass clazz, jint fd) {
    RETURN_OR_ERRNO(close(fd));
}

/* ---- memory ---- */
static jlong userpoll_mmap(JNIEnv* env, jclass clazz, jlong length, jint prot, jint flags, jint fd, jlong offset) {
    void* addr = mmap(NULL, (size_t) length, prot, flags, fd, (off_t) offset);
    return addr == MAP_FAILED ? -errno : (jlong) (intptr_t) addr;
}

static jint userpoll_munmap(JNIEnv* env, jclass clazz, jlong address, jlong length) {
    RETURN_OR_ERRNO(munmap((void*) (intptr_t) address, (size_t) length));
}

static jobject userpoll_wrapMemory(JNIEnv* env, jclass clazz, jlong address, jint length) {
    return (*env)->NewDirectByteBuffer(env, (void*) (intptr_t) address, length);
}

static jint userpoll_mapProt(JNIEnv* env, jclass clazz) { return PROT_READ | PROT_WRITE; }
static jint userpoll_mapSharedFlags(JNIEnv* env, jclass clazz) { return MAP_SHARED | MAP_POPULATE; }
static jint userpoll_mapAnonymousFlags(JNIEnv* env, jclass clazz) { return MAP_PRIVATE | MAP_ANONYMOUS; }

static const JNINativeMethod method_table[] = {
    { "epollIn", "()I", (void*) userpoll_epollIn },
    { "epollOut", "()I", (void*) userpoll_epollOut },
    { "epollRdHup", "()I", (void*) userpoll_epollRdHup },
    { "epollErr", "()I", (void*) userpoll_epollErr },
    { "epollHup", "()I", (void*) userpoll_epollHup },
    { "epollEt", "()I", (void*) userpoll_epollEt },
    { "epollExclusive", "()I", (void*) userpoll_epollExclusive },
    { "epollCtlAdd", "()I", (void*) userpoll_epollCtlAdd },
    { "epollCtlMod", "()I", (void*) userpoll_epollCtlMod },
    { "epollCtlDel", "()I", (void*) userpoll_epollCtlDel },
    { "sizeofEpollEvent", "()I", (void*) userpoll_sizeofEpollEvent },
    { "offsetofEpollData", "()I", (void*) userpoll_offsetofEpollData },
    { "errnoEagain", "()I", (void*) userpoll_errnoEagain },
    { "errnoEintr", "()I", (void*) userpoll_errnoEintr },
    { "errnoEstale", "()I", (void*) userpoll_errnoEstale },
    { "errnoEnosys", "()I", (void*) userpoll_errnoEnosys },
    { "errnoEinval", "()I", (void*) userpoll_errnoEinval },
    { "errnoEnospc", "()I", (void*) userpoll_errnoEnospc },
    { "errnoEnoent", "()I", (void*) userpoll_errnoEnoent },
    { "errnoEbadf", "()I", (void*) userpoll_errnoEbadf },
    { "errnoEperm", "()I", (void*) userpoll_errnoEperm },
    { "errnoEnomem", "()I", (void*) userpoll_errnoEnomem },
    { "errnoEfault", "()I", (void*) userpoll_errnoEfault },
    { "errnoEtime", "()I", (void*) userpoll_errnoEtime },
    { "errnoEmfile", "()I", (void*) userpoll_errnoEmfile },
    { "errnoEbusy", "()I", (void*) userpoll_errnoEbusy },
    { "errnoEnfile", "()I", (void*) userpoll_errnoEnfile },
    { "errnoEnobufs", "()I", (void*) userpoll_errnoEnobufs },
    { "pageSize", "()I", (void*) userpoll_pageSize },
    { "registerUnix", "()I", (void*) userpoll_registerUnix },
    { "epollCreate", "()I", (void*) userpoll_epollCreate },
    { "epollCtl", "(IIIIJ)I", (void*) userpoll_epollCtl },
    { "epollWait", "(IJII)I", (void*) userpoll_epollWait },
    { "epollPwait2", "(IJIJ)I", (void*) userpoll_epollPwait2 },
    { "epollCreate2", "(III)I", (void*) userpoll_epollCreate2 },
    { "eventFd", "()I", (void*) userpoll_eventFd },
    { "eventFdWrite", "(IJ)I", (void*) userpoll_eventFdWrite },
    { "eventFdRead", "(I)J", (void*) userpoll_eventFdRead },
    { "timerFd", "()I", (void*) userpoll_timerFd },
    { "timerFdSetTime", "(IJ)I", (void*) userpoll_timerFdSetTime },
    { "close", "(I)I", (void*) userpoll_close },
    { "mmap", "(JIIIJ)J", (void*) userpoll_mmap },
    { "munmap", "(JJ)I", (void*) userpoll_munmap },
    { "wrapMemory", "(JI)Ljava/nio/ByteBuffer;", (void*) userpoll_wrapMemory },
    { "mapProt", "()I", (void*) userpoll_mapProt },
    { "mapSharedFlags", "()I", (void*) userpoll_mapSharedFlags },
    { "mapAnonymousFlags", "()I", (void*) userpoll_mapAnonymousFlags },
};

static jint userpoll_JNI_OnLoad(JNIEnv* env, const char* packagePrefix) {
    int coreRegistered = 0;
    int ioUringRegistered = 0;
    if (netty_jni_util_register_natives(env, packagePrefix, NATIVE_CLASSNAME, method_table, COUNT_OF(method_table)) != 0) {
        goto error;
    }
    coreRegistered = 1;
    if (userpoll_io_uring_register(env, packagePrefix) != 0) {
        goto error;
    }
    ioUringRegistered = 1;
    if (userpoll_socket_register(env, packagePrefix) != 0) {
        goto error;
    }
    if (userpoll_unix_register(env, packagePrefix) != 0) {
        goto error;
    }
    if (userpoll_datagram_register(env, packagePrefix) != 0) {
        goto error;
    }
    if (packagePrefix != NULL) {
        staticPackagePrefix = strdup(packagePrefix);
    }
    return NETTY_JNI_UTIL_JNI_VERSION;
error:
    if (ioUringRegistered) {
        userpoll_io_uring_unregister(env, packagePrefix);
    }
    if (coreRegistered) {
        netty_jni_util_unregister_natives(env, packagePrefix, NATIVE_CLASSNAME);
    }
    return JNI_ERR;
}

static void userpoll_JNI_OnUnload(JNIEnv* env) {
    if (registerUnixCalled) {
        registerUnixCalled = 0;
        netty_unix_unregister(env, staticPackagePrefix);
    }
    userpoll_unix_unregister(env, staticPackagePrefix);
    userpoll_socket_unregister(env, staticPackagePrefix);
    userpoll_datagram_unregister(env, staticPackagePrefix);
    userpoll_io_uring_unregister(env, staticPackagePrefix);
    netty_jni_util_unregister_natives(env, staticPackagePrefix, NATIVE_CLASSNAME);
    free((void*) staticPackagePrefix);
    staticPackagePrefix = NULL;
}

/* The library name lets netty_jni_util find a shading prefix, as Netty's own libraries do. */
JNIEXPORT jint JNI_OnLoad(JavaVM* vm, void* reserved) {
    return netty_jni_util_JNI_OnLoad(vm, reserved, "userpoll_transport_native", userpoll_JNI_OnLoad);
}

JNIEXPORT void JNI_OnUnload(JavaVM* vm, void* reserved) {
    netty_jni_util_JNI_OnUnload(vm, reserved, userpoll_JNI_OnUnload);
}
