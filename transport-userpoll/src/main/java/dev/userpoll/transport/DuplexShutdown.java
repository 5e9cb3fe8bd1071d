package dev.userpoll.transport;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;

/** {@link DuplexChannel#shutdown(ChannelPromise)}: the output, then the input, one promise for both. */
final class DuplexShutdown {
    private DuplexShutdown() {
    }

    /** Shuts the output down, then the input; {@code promise} fails with the output's cause (the input's suppressed). */
    static ChannelFuture shutdownBoth(DuplexChannel channel, ChannelPromise promise) {
        ChannelFuture outputFuture = channel.shutdownOutput();
        if (outputFuture.isDone()) {
            outputDone(channel, outputFuture, promise);
        } else {
            outputFuture.addListener((ChannelFutureListener) f -> outputDone(channel, f, promise));
        }
        return promise;
    }

    private static void outputDone(DuplexChannel channel, ChannelFuture outputFuture, ChannelPromise promise) {
        ChannelFuture inputFuture = channel.shutdownInput();
        if (inputFuture.isDone()) {
            bothDone(outputFuture, inputFuture, promise);
        } else {
            inputFuture.addListener((ChannelFutureListener) f -> bothDone(outputFuture, f, promise));
        }
    }

    private static void bothDone(ChannelFuture outputFuture, ChannelFuture inputFuture, ChannelPromise promise) {
        Throwable outputCause = outputFuture.cause();
        Throwable inputCause = inputFuture.cause();
        if (outputCause != null) {
            if (inputCause != null) {
                outputCause.addSuppressed(inputCause);
            }
            promise.setFailure(outputCause);
        } else if (inputCause != null) {
            promise.setFailure(inputCause);
        } else {
            promise.setSuccess();
        }
    }
}
