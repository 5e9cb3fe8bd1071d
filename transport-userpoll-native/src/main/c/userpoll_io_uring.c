/*
 * io_uring for the io_uring ring source: setup (with the rings mapped here, once) and enter. The
 * Java side writes SQEs and reads CQEs in the mapped rings itself; the layout facts it needs come
 * from the constants below, read once at load.
 */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "netty_jni_util.h"
#include "userpoll_native.h"

#ifndef IORING_ENTER_REGISTERED_RING
/* Linux 5.18: the ring fd registered with the task; older UAPI headers lack the names, not the ABI. */
#define IORING_ENTER_REGISTERED_RING (1U << 4)
#define IORING_REGISTER_RING_FDS 20
#define IORING_UNREGISTER_RING_FDS 21
#endif

/* Indices of the long[] that ioUringSetup fills; IoUringRingLayout on the Java side mirrors them. */
enum {
    OUT_FEATURES, OUT_SETUP_FLAGS, OUT_SQ_ENTRIES, OUT_CQ_ENTRIES,
    OUT_SQ_RING_ADDR, OUT_SQ_RING_SIZE, OUT_CQ_RING_ADDR, OUT_CQ_RING_SIZE, OUT_SQES_ADDR, OUT_SQES_SIZE,
    OUT_SQ_HEAD, OUT_SQ_TAIL, OUT_SQ_RING_MASK, OUT_SQ_RING_ENTRIES, OUT_SQ_FLAGS, OUT_SQ_DROPPED, OUT_SQ_ARRAY,
    OUT_CQ_HEAD, OUT_CQ_TAIL, OUT_CQ_RING_MASK, OUT_CQ_RING_ENTRIES, OUT_CQ_OVERFLOW, OUT_CQ_CQES, OUT_CQ_FLAGS,
    OUT_LENGTH
};

static void unmap_rings(void* sq, size_t sqSize, void* cq, size_t cqSize, void* sqes, size_t sqesSize) {
    if (sqes != MAP_FAILED && sqes != NULL) munmap(sqes, sqesSize);
    if (cq != MAP_FAILED && cq != NULL && cq != sq) munmap(cq, cqSize);
    if (sq != MAP_FAILED && sq != NULL) munmap(sq, sqSize);
}

/* Returns the ring fd, or -errno; on success out[] holds the mapping addresses and ring offsets. */
static jint userpoll_ioUringSetup(JNIEnv* env, jclass clazz, jint entries, jint flags, jint cqEntries, jlongArray out) {
    struct io_uring_params p;
    jlong values[OUT_LENGTH];
    void* sq = MAP_FAILED;
    void* cq = MAP_FAILED;
    void* sqes = MAP_FAILED;
    size_t sqSize, cqSize, sqesSize;
    int err;

    if ((*env)->GetArrayLength(env, out) < OUT_LENGTH) {
        return -EINVAL;
    }
    memset(&p, 0, sizeof(p));
    p.flags = (uint32_t) flags;
    if (cqEntries > 0) {
        p.flags |= IORING_SETUP_CQSIZE;
        p.cq_entries = (uint32_t) cqEntries;
    }
    int fd = (int) syscall(__NR_io_uring_setup, (unsigned) entries, &p);
    if (fd < 0) {
        return -errno;
    }
    sqSize = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
    cqSize = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        sqSize = cqSize = sqSize > cqSize ? sqSize : cqSize;
    }
    sq = mmap(NULL, sqSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    if (sq == MAP_FAILED) goto fail;
    if (p.features & IORING_FEAT_SINGLE_MMAP) {
        cq = sq;
    } else {
        cq = mmap(NULL, cqSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (cq == MAP_FAILED) goto fail;
    }
    sqesSize = p.sq_entries * sizeof(struct io_uring_sqe);
    sqes = mmap(NULL, sqesSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (sqes == MAP_FAILED) goto fail;

    values[OUT_FEATURES] = p.features;
    values[OUT_SETUP_FLAGS] = p.flags;
    values[OUT_SQ_ENTRIES] = p.sq_entries;
    values[OUT_CQ_ENTRIES] = p.cq_entries;
    values[OUT_SQ_RING_ADDR] = (jlong) (intptr_t) sq;
    values[OUT_SQ_RING_SIZE] = (jlong) sqSize;
    values[OUT_CQ_RING_ADDR] = (jlong) (intptr_t) cq;
    values[OUT_CQ_RING_SIZE] = (jlong) cqSize;
    values[OUT_SQES_ADDR] = (jlong) (intptr_t) sqes;
    values[OUT_SQES_SIZE] = (jlong) sqesSize;
    values[OUT_SQ_HEAD] = p.sq_off.head;
    values[OUT_SQ_TAIL] = p.sq_off.tail;
    values[OUT_SQ_RING_MASK] = p.sq_off.ring_mask;
    values[OUT_SQ_RING_ENTRIES] = p.sq_off.ring_entries;
    values[OUT_SQ_FLAGS] = p.sq_off.flags;
    values[OUT_SQ_DROPPED] = p.sq_off.dropped;
    values[OUT_SQ_ARRAY] = p.sq_off.array;
    values[OUT_CQ_HEAD] = p.cq_off.head;
    values[OUT_CQ_TAIL] = p.cq_off.tail;
    values[OUT_CQ_RING_MASK] = p.cq_off.ring_mask;
    values[OUT_CQ_RING_ENTRIES] = p.cq_off.ring_entries;
    values[OUT_CQ_OVERFLOW] = p.cq_off.overflow;
    values[OUT_CQ_CQES] = p.cq_off.cqes;
    values[OUT_CQ_FLAGS] = p.cq_off.flags;
    (*env)->SetLongArrayRegion(env, out, 0, OUT_LENGTH, values);
    return fd;
fail:
    err = errno;
    unmap_rings(sq, sqSize, cq, cqSize, sqes, sqesSize);
    close(fd);
    return -err;
}

/*
 * io_uring_enter. With IORING_ENTER_GETEVENTS and timeoutNanos >= 0 the wait goes through
 * IORING_ENTER_EXT_ARG (no timeout SQE, so nothing stays queued); -ETIME means the time ran out.
 */
static jint userpoll_ioUringEnter(JNIEnv* env, jclass clazz, jint fd, jint toSubmit, jint minComplete, jint flags,
                                  jlong timeoutNanos) {
    if ((flags & IORING_ENTER_GETEVENTS) && timeoutNanos >= 0) {
        struct __kernel_timespec ts = { .tv_sec = timeoutNanos / 1000000000L, .tv_nsec = timeoutNanos % 1000000000L };
        struct io_uring_getevents_arg arg;
        memset(&arg, 0, sizeof(arg));
        arg.ts = (uint64_t) (uintptr_t) &ts;
        RETURN_OR_ERRNO(syscall(__NR_io_uring_enter, fd, (unsigned) toSubmit, (unsigned) minComplete,
                                (unsigned) flags | IORING_ENTER_EXT_ARG, &arg, sizeof(arg)));
    }
    RETURN_OR_ERRNO(syscall(__NR_io_uring_enter, fd, (unsigned) toSubmit, (unsigned) minComplete, (unsigned) flags, NULL, 0));
}

/*
 * Registers the ring's own fd with the calling task (IORING_REGISTER_RING_FDS, Linux 5.18), so that its
 * io_uring_enter calls, with IORING_ENTER_REGISTERED_RING and the returned index in place of the fd, skip the
 * file-table lookup. The registration belongs to the calling thread. Returns the index, or -errno.
 */
static jint userpoll_ioUringRegisterRingFd(JNIEnv* env, jclass clazz, jint fd) {
    /* struct io_uring_rsrc_update: offset (u32), resv (u32), data (u64); spelled out for old UAPI headers. */
    struct { uint32_t offset; uint32_t resv; uint64_t data; } update;
    memset(&update, 0, sizeof(update));
    update.offset = (uint32_t) -1; /* any free slot; the kernel writes back the one it took */
    update.data = (uint64_t) fd;
    long res = syscall(__NR_io_uring_register, fd, IORING_REGISTER_RING_FDS, &update, 1);
    if (res < 0) {
        return -errno;
    }
    return res == 1 ? (jint) update.offset : -EINVAL;
}

/* Ends what ioUringRegisterRingFd did; on the thread that registered it. 0 or -errno. */
static jint userpoll_ioUringUnregisterRingFd(JNIEnv* env, jclass clazz, jint fd, jint index) {
    struct { uint32_t offset; uint32_t resv; uint64_t data; } update;
    memset(&update, 0, sizeof(update));
    update.offset = (uint32_t) index;
    long res = syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_RING_FDS, &update, 1);
    return res < 0 ? -errno : 0;
}

#define CONSTANT(name, value) static jint userpoll_##name(JNIEnv* env, jclass clazz) { return (jint) (value); }
CONSTANT(ioUringSetupOutLength, OUT_LENGTH)
CONSTANT(ioringSetupCoopTaskrun, IORING_SETUP_COOP_TASKRUN)
CONSTANT(ioringSetupTaskrunFlag, IORING_SETUP_TASKRUN_FLAG)
CONSTANT(ioringSetupClamp, IORING_SETUP_CLAMP)
CONSTANT(ioringFeatExtArg, IORING_FEAT_EXT_ARG)
CONSTANT(ioringEnterGetevents, IORING_ENTER_GETEVENTS)
CONSTANT(ioringEnterRegisteredRing, IORING_ENTER_REGISTERED_RING)
CONSTANT(ioringSqCqOverflow, IORING_SQ_CQ_OVERFLOW)
CONSTANT(ioringSqTaskrun, IORING_SQ_TASKRUN)
CONSTANT(ioringCqeFMore, IORING_CQE_F_MORE)
CONSTANT(ioringPollAddMulti, IORING_POLL_ADD_MULTI)
CONSTANT(ioringOpNop, IORING_OP_NOP)
CONSTANT(ioringOpPollAdd, IORING_OP_POLL_ADD)
CONSTANT(ioringOpPollRemove, IORING_OP_POLL_REMOVE)
CONSTANT(ioringOpAsyncCancel, IORING_OP_ASYNC_CANCEL)
CONSTANT(ioringOpRecv, IORING_OP_RECV)
CONSTANT(ioringOpSendmsg, IORING_OP_SENDMSG)
CONSTANT(sizeofIoUringSqe, sizeof(struct io_uring_sqe))
CONSTANT(sizeofIoUringCqe, sizeof(struct io_uring_cqe))
CONSTANT(sqeOffsetOpcode, offsetof(struct io_uring_sqe, opcode))
CONSTANT(sqeOffsetFd, offsetof(struct io_uring_sqe, fd))
CONSTANT(sqeOffsetAddr, offsetof(struct io_uring_sqe, addr))
CONSTANT(sqeOffsetLen, offsetof(struct io_uring_sqe, len))
CONSTANT(sqeOffsetOpFlags, offsetof(struct io_uring_sqe, poll32_events))
CONSTANT(sqeOffsetUserData, offsetof(struct io_uring_sqe, user_data))
CONSTANT(cqeOffsetUserData, offsetof(struct io_uring_cqe, user_data))
CONSTANT(cqeOffsetRes, offsetof(struct io_uring_cqe, res))
CONSTANT(cqeOffsetFlags, offsetof(struct io_uring_cqe, flags))
#undef CONSTANT

static const JNINativeMethod method_table[] = {
    { "ioUringSetup", "(III[J)I", (void*) userpoll_ioUringSetup },
    { "ioUringEnter", "(IIIIJ)I", (void*) userpoll_ioUringEnter },
    { "ioUringRegisterRingFd", "(I)I", (void*) userpoll_ioUringRegisterRingFd },
    { "ioUringUnregisterRingFd", "(II)I", (void*) userpoll_ioUringUnregisterRingFd },
    { "ioringEnterRegisteredRing", "()I", (void*) userpoll_ioringEnterRegisteredRing },
    { "ioUringSetupOutLength", "()I", (void*) userpoll_ioUringSetupOutLength },
    { "ioringSetupCoopTaskrun", "()I", (void*) userpoll_ioringSetupCoopTaskrun },
    { "ioringSetupTaskrunFlag", "()I", (void*) userpoll_ioringSetupTaskrunFlag },
    { "ioringSetupClamp", "()I", (void*) userpoll_ioringSetupClamp },
    { "ioringFeatExtArg", "()I", (void*) userpoll_ioringFeatExtArg },
    { "ioringEnterGetevents", "()I", (void*) userpoll_ioringEnterGetevents },
    { "ioringSqCqOverflow", "()I", (void*) userpoll_ioringSqCqOverflow },
    { "ioringSqTaskrun", "()I", (void*) userpoll_ioringSqTaskrun },
    { "ioringCqeFMore", "()I", (void*) userpoll_ioringCqeFMore },
    { "ioringPollAddMulti", "()I", (void*) userpoll_ioringPollAddMulti },
    { "ioringOpNop", "()I", (void*) userpoll_ioringOpNop },
    { "ioringOpPollAdd", "()I", (void*) userpoll_ioringOpPollAdd },
    { "ioringOpPollRemove", "()I", (void*) userpoll_ioringOpPollRemove },
    { "ioringOpAsyncCancel", "()I", (void*) userpoll_ioringOpAsyncCancel },
    { "ioringOpRecv", "()I", (void*) userpoll_ioringOpRecv },
    { "ioringOpSendmsg", "()I", (void*) userpoll_ioringOpSendmsg },
    { "sizeofIoUringSqe", "()I", (void*) userpoll_sizeofIoUringSqe },
    { "sizeofIoUringCqe", "()I", (void*) userpoll_sizeofIoUringCqe },
    { "sqeOffsetOpcode", "()I", (void*) userpoll_sqeOffsetOpcode },
    { "sqeOffsetFd", "()I", (void*) userpoll_sqeOffsetFd },
    { "sqeOffsetAddr", "()I", (void*) userpoll_sqeOffsetAddr },
    { "sqeOffsetLen", "()I", (void*) userpoll_sqeOffsetLen },
    { "sqeOffsetOpFlags", "()I", (void*) userpoll_sqeOffsetOpFlags },
    { "sqeOffsetUserData", "()I", (void*) userpoll_sqeOffsetUserData },
    { "cqeOffsetUserData", "()I", (void*) userpoll_cqeOffsetUserData },
    { "cqeOffsetRes", "()I", (void*) userpoll_cqeOffsetRes },
    { "cqeOffsetFlags", "()I", (void*) userpoll_cqeOffsetFlags },
};

jint userpoll_io_uring_register(JNIEnv* env, const char* packagePrefix) {
    return netty_jni_util_register_natives(env, packagePrefix, NATIVE_CLASSNAME, method_table, COUNT_OF(method_table));
}

void userpoll_io_uring_unregister(JNIEnv* env, const char* packagePrefix) {
    /* One unregister in userpoll_native.c covers every slice of the class. */
}
