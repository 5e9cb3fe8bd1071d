/*
 * Test launcher: runs a program (the test's child JVM) the way a locked-down container would, so the
 * transport's fallbacks can be tested for real. Compiled by UserpollRestrictedKernelTest, never shipped.
 *
 *   seccomp-launcher [--deny io_uring_setup|io_uring_enter|io_uring_register]... [--memlock BYTES] -- PROGRAM ARGS...
 *
 * --deny installs a seccomp filter that fails that system call with EPERM, as Docker's default profile does for
 * io_uring; --memlock sets RLIMIT_MEMLOCK (soft and hard) to BYTES. Then it execs PROGRAM. The filter and the
 * limit are inherited by every thread of the program. Exit status 97 with a message on stderr: this machine cannot
 * (no seccomp filters, a limit that cannot be set); the test skips then.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Unified numbers (asm-generic, and the same on x86_64): older headers may not name them. */
#define NR_IO_URING_SETUP 425
#define NR_IO_URING_ENTER 426
#define NR_IO_URING_REGISTER 427

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp-launcher: unsupported architecture"
#endif

#define CANNOT 97
#define MAX_DENIED 3

static int syscall_number(const char *name) {
    if (strcmp(name, "io_uring_setup") == 0) return NR_IO_URING_SETUP;
    if (strcmp(name, "io_uring_enter") == 0) return NR_IO_URING_ENTER;
    if (strcmp(name, "io_uring_register") == 0) return NR_IO_URING_REGISTER;
    return -1;
}

static int install_filter(const int *denied, int count) {
    /* arch check, load nr, one compare per denied call, allow */
    struct sock_filter code[4 + 2 * MAX_DENIED + 1];
    int n = 0;
    code[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    /* Another ABI (x32, compat): let it through; the JVM never uses one. */
    code[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0);
    code[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    code[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (int i = 0; i < count; i++) {
        code[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned) denied[i], 0, 1);
        code[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    }
    code[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { .len = (unsigned short) n, .filter = code };
    /* Required to install a filter without CAP_SYS_ADMIN; it also keeps exec from gaining privileges. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fprintf(stderr, "seccomp-launcher: cannot: prctl(PR_SET_NO_NEW_PRIVS): %s\n", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
        fprintf(stderr, "seccomp-launcher: cannot: prctl(PR_SET_SECCOMP): %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    int denied[MAX_DENIED];
    int count = 0;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--deny") == 0 && i + 1 < argc) {
            int nr = syscall_number(argv[++i]);
            if (nr < 0 || count == MAX_DENIED) {
                fprintf(stderr, "seccomp-launcher: unknown or too many system calls: %s\n", argv[i]);
                return 2;
            }
            denied[count++] = nr;
        } else if (strcmp(argv[i], "--memlock") == 0 && i + 1 < argc) {
            rlim_t bytes = (rlim_t) strtoull(argv[++i], NULL, 10);
            struct rlimit limit = { bytes, bytes };
            if (setrlimit(RLIMIT_MEMLOCK, &limit) != 0) {
                fprintf(stderr, "seccomp-launcher: cannot: setrlimit(RLIMIT_MEMLOCK, %llu): %s\n",
                        (unsigned long long) bytes, strerror(errno));
                return CANNOT;
            }
        } else {
            fprintf(stderr, "usage: seccomp-launcher [--deny SYSCALL]... [--memlock BYTES] -- PROGRAM ARGS...\n");
            return 2;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "seccomp-launcher: no program after --\n");
        return 2;
    }
    if (count > 0 && install_filter(denied, count) != 0) {
        return CANNOT;
    }
    execv(argv[i + 1], argv + i + 1);
    fprintf(stderr, "seccomp-launcher: execv %s: %s\n", argv[i + 1], strerror(errno));
    return 127;
}
