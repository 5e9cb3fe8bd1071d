package dev.userpoll.transport.ring;

import dev.userpoll.transport.internal.Native;
import io.netty.util.internal.SystemPropertyUtil;

/** Loading of the native library, once, with the reason kept when it cannot be loaded. */
public final class RingSources {
    /** Netty's switch that turns every native transport off. */
    public static final String NO_NATIVE_PROPERTY = "io.netty.transport.noNative";

    private static final Throwable NATIVE_CAUSE;

    static {
        Throwable cause = null;
        if (SystemPropertyUtil.getBoolean(NO_NATIVE_PROPERTY, false)) {
            cause = new UnsupportedOperationException(
                    "native transports were explicitly disabled with -D" + NO_NATIVE_PROPERTY + "=true");
        } else {
            try {
                // Touching a constant runs Native's static initializer: load, register, read constants.
                if (Native.PAGE_SIZE <= 0) {
                    cause = new IllegalStateException("native library reported page size " + Native.PAGE_SIZE);
                }
            } catch (Throwable t) {
                cause = t;
            }
        }
        NATIVE_CAUSE = cause;
    }

    private RingSources() {
    }

    /** Why the native library is not usable, or {@code null} when it is loaded. */
    public static Throwable nativeUnavailabilityCause() {
        return NATIVE_CAUSE;
    }
}
