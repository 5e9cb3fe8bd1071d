package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.UserpollSocketChannel;
import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.unix.Errors;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketRstTest;
import org.junit.jupiter.params.Parameter;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Netty's {@link SocketRstTest} on our channels, once per ring source, per {@link UserpollSocketTestPermutation}.
 * As Netty's epoll module does for its channels, the reset is checked by errno rather than by message on ours.
 */
@EveryRingSource
public class UserpollSocketRstTest extends SocketRstTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket(source);
    }

    @Override
    protected void assertRstOnCloseException(IOException cause, Channel clientChannel) {
        if (!(clientChannel instanceof UserpollSocketChannel)) {
            super.assertRstOnCloseException(cause, clientChannel);
            return;
        }
        Errors.NativeIoException nativeCause = assertInstanceOf(Errors.NativeIoException.class, cause);
        assertEquals(Errors.ERRNO_ECONNRESET_NEGATIVE, nativeCause.expectedErr(), nativeCause.getMessage());
    }
}
