/*
 * Unix-domain socket pieces that io.netty.channel.unix.Socket does not have: the peer's credentials
 * (SO_PEERCRED), handed to Java as Netty's PeerCredentials, whose constructor only JNI can reach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netty_jni_util.h"
#include "userpoll_native.h"

/* The class name with the shading prefix of this library, if any ("io/netty/channel/unix/PeerCredentials"). */
static char* peerCredentialsClassName = NULL;

/* {pid, uid, gid} of the process that connected (or created the pair), as of connect(2); 0 or -errno. */
static jint userpoll_peerCredentials(JNIEnv* env, jclass clazz, jint fd, jintArray out) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return -errno;
    }
    jint values[3] = { (jint) cred.pid, (jint) cred.uid, (jint) cred.gid };
    (*env)->SetIntArrayRegion(env, out, 0, 3, values);
    return 0;
}

/*
 * new PeerCredentials(pid, uid, gid): the constructor is package-private in Netty, and JNI is not bound by
 * Java access rules. Looked up per call (rare, never on the event loop's hot path) through the class loader of
 * Native, which sees Netty's unix-common classes. NULL with a pending exception if that fails.
 */
static jobject userpoll_newPeerCredentials(JNIEnv* env, jclass clazz, jint pid, jint uid, jint gid) {
    jclass credentialsClass = (*env)->FindClass(env, peerCredentialsClassName);
    if (credentialsClass == NULL) {
        return NULL;
    }
    jmethodID ctor = (*env)->GetMethodID(env, credentialsClass, "<init>", "(II[I)V");
    if (ctor == NULL) {
        return NULL;
    }
    jintArray gids = (*env)->NewIntArray(env, 1);
    if (gids == NULL) {
        return NULL;
    }
    (*env)->SetIntArrayRegion(env, gids, 0, 1, &gid);
    jobject credentials = (*env)->NewObject(env, credentialsClass, ctor, pid, uid, gids);
    (*env)->DeleteLocalRef(env, gids);
    (*env)->DeleteLocalRef(env, credentialsClass);
    return credentials;
}

static const JNINativeMethod method_table[] = {
    { "peerCredentials", "(I[I)I", (void*) userpoll_peerCredentials },
    { "newPeerCredentials", "(III)Ljava/lang/Object;", (void*) userpoll_newPeerCredentials },
};

jint userpoll_unix_register(JNIEnv* env, const char* packagePrefix) {
    NETTY_JNI_UTIL_PREPEND(packagePrefix, "io/netty/channel/unix/PeerCredentials", peerCredentialsClassName, error);
    if (netty_jni_util_register_natives(env, packagePrefix, NATIVE_CLASSNAME, method_table, COUNT_OF(method_table)) != 0) {
        goto error;
    }
    return 0;
error:
    netty_jni_util_free_dynamic_name(&peerCredentialsClassName);
    return -1;
}

void userpoll_unix_unregister(JNIEnv* env, const char* packagePrefix) {
    /* One unregister in userpoll_native.c covers every slice of the class; only the name is ours to free. */
    netty_jni_util_free_dynamic_name(&peerCredentialsClassName);
}
