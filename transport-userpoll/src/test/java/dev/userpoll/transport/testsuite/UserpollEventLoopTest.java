package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollServerSocketChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.testsuite.transport.AbstractSingleThreadEventLoopTest;
import org.junit.jupiter.params.Parameter;

import java.util.concurrent.Executor;

/**
 * Netty's event-loop tests ({@link AbstractSingleThreadEventLoopTest}: registration, the registered-channels
 * iterator, shutdown before and after start, scheduling and cancelling, an auto-scaling group that suspends and
 * resumes loops) on our {@code IoHandler}, once per ring source, as Netty's epoll module runs them on its own.
 */
@EveryRingSource
public class UserpollEventLoopTest extends AbstractSingleThreadEventLoopTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected EventLoopGroup newEventLoopGroup() {
        return new MultiThreadIoEventLoopGroup(source.ioHandlerFactory());
    }

    @Override
    protected EventLoopGroup newAutoScalingEventLoopGroup() {
        return new MultiThreadIoEventLoopGroup(SCALING_MAX_THREADS, (Executor) null, AUTO_SCALING_CHOOSER_FACTORY,
                source.ioHandlerFactory());
    }

    @Override
    protected Channel newChannel() {
        return new UserpollServerSocketChannel();
    }

    @Override
    protected Class<? extends ServerChannel> serverChannelClass() {
        return UserpollServerSocketChannel.class;
    }
}
