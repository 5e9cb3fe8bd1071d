/** The JNI boundary: {@link dev.userpoll.transport.internal.Native} is the only class that knows it. Not exported. */
package dev.userpoll.transport.internal;
