/*
 * Shared declarations of the transport's JNI library. Each .c file registers its own slice of the
 * natives of the one Java class that knows JNI (NATIVE_CLASSNAME); userpoll_native.c owns JNI_OnLoad.
 */
#ifndef USERPOLL_NATIVE_H_
#define USERPOLL_NATIVE_H_

#include <errno.h>
#include <jni.h>

#define NATIVE_CLASSNAME "dev/userpoll/transport/internal/Native"

/* Every syscall wrapper returns its result, or -errno: Java maps errors without a JNI exception. */
#define RETURN_OR_ERRNO(expr) do { long _r = (long) (expr); return _r < 0 ? -errno : (jint) _r; } while (0)

#define COUNT_OF(a) ((jint) (sizeof(a) / sizeof((a)[0])))

jint userpoll_io_uring_register(JNIEnv* env, const char* packagePrefix);
void userpoll_io_uring_unregister(JNIEnv* env, const char* packagePrefix);
jint userpoll_socket_register(JNIEnv* env, const char* packagePrefix);
void userpoll_socket_unregister(JNIEnv* env, const char* packagePrefix);
jint userpoll_unix_register(JNIEnv* env, const char* packagePrefix);
void userpoll_unix_unregister(JNIEnv* env, const char* packagePrefix);
jint userpoll_datagram_register(JNIEnv* env, const char* packagePrefix);
void userpoll_datagram_unregister(JNIEnv* env, const char* packagePrefix);

#endif /* USERPOLL_NATIVE_H_ */
