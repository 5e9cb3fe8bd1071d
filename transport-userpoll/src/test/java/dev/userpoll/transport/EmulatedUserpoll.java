package dev.userpoll.transport;

import dev.userpoll.transport.ring.EmulatedUserpollKernel;
import dev.userpoll.transport.ring.UserpollProtocol;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.internal.ObjectUtil;

/**
 * Event loops on the userpoll ring source over {@link EmulatedUserpollKernel}, so that whole-transport
 * tests run the userpoll consumer on a stock kernel. Only the kernel calls of {@code UserpollRing} are
 * emulated; {@code Userpoll.isAvailable(RingSourceKind.USERPOLL)} still tells the truth about the kernel.
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, EmulatedUserpoll.ioHandlerFactory(UserpollProtocol.V3));
 * }</pre>
 */
public final class EmulatedUserpoll {
    private EmulatedUserpoll() {
    }

    /** A factory whose loops drain a userpoll ring published by an emulated kernel speaking {@code protocol}. */
    public static IoHandlerFactory ioHandlerFactory(UserpollProtocol protocol) {
        return ioHandlerFactory(protocol, IoSubmitter.DIRECT);
    }

    /** As {@link #ioHandlerFactory(UserpollProtocol)}, with the given I/O submitter. */
    public static IoHandlerFactory ioHandlerFactory(UserpollProtocol protocol, IoSubmitter submitter) {
        return ioHandlerFactory(protocol, RingSourceKind.DEFAULT_RING_SIZE, IdlePolicy.PARK, submitter);
    }

    /** As {@link #ioHandlerFactory(UserpollProtocol)}, with a ring of {@code ringSize} items and an idle policy. */
    public static IoHandlerFactory ioHandlerFactory(UserpollProtocol protocol, int ringSize, IdlePolicy idlePolicy) {
        return ioHandlerFactory(protocol, ringSize, idlePolicy, IoSubmitter.DIRECT);
    }

    /** As {@link #ioHandlerFactory(UserpollProtocol, int, IdlePolicy)}, with the given I/O submitter. */
    public static IoHandlerFactory ioHandlerFactory(UserpollProtocol protocol, int ringSize, IdlePolicy idlePolicy,
                                                    IoSubmitter submitter) {
        ObjectUtil.checkNotNull(protocol, "protocol");
        ObjectUtil.checkPositive(ringSize, "ringSize");
        ObjectUtil.checkNotNull(idlePolicy, "idlePolicy");
        Userpoll.ensureAvailability(); // the native library, which the emulated kernel uses too
        return UserpollIoHandler.newFactory(
                new UserpollIoHandlerConfig().setRingSize(ringSize).setIdlePolicy(idlePolicy).setIoSubmitter(submitter),
                () -> EmulatedUserpollKernel.openRing(ringSize, protocol, idlePolicy.spinNanos() > 0));
    }
}
