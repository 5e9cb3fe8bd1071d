/*
 * Keeps the library loadable on glibc 2.17 (RHEL/CentOS 7, Amazon Linux 2, Ubuntu 18.04 and later), where
 * Netty's own natives load.
 *
 * Netty's unix-common static library (netty_jni_util.c) calls dladdr() to find the library's own file name
 * (for the shading prefix). Linked against glibc >= 2.34, that binds to dladdr@GLIBC_2.34, the version glibc
 * gave it when it moved from libdl into libc, and the library would not load on an older glibc. The Makefile
 * links with -Wl,--wrap=dladdr, so those calls come here, and this forwards them to the oldest version of
 * dladdr of the architecture, which every glibc still provides: in libc.so.6 from 2.34 on, in libdl.so.2
 * before (the library lists libdl.so.2 as needed, so it is loaded there). The dynamic linker matches a
 * versioned reference by its version name, whichever loaded library defines it.
 *
 * The Makefile's "check" target fails the build when any symbol needs a GLIBC version newer than the floor.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#if defined(__x86_64__)
#define USERPOLL_DLADDR_VERSION "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define USERPOLL_DLADDR_VERSION "GLIBC_2.17"
#else
#error "unsupported architecture: add the oldest glibc symbol version of dladdr for it"
#endif

int userpoll_dladdr_compat(const void* addr, Dl_info* info);
__asm__(".symver userpoll_dladdr_compat, dladdr@" USERPOLL_DLADDR_VERSION);

int __wrap_dladdr(const void* addr, Dl_info* info);

int __wrap_dladdr(const void* addr, Dl_info* info) {
    return userpoll_dladdr_compat(addr, info);
}
