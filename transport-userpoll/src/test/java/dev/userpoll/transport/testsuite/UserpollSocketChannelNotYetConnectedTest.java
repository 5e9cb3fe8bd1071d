package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketChannelNotYetConnectedTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link SocketChannelNotYetConnectedTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 */
@EveryRingSource
public class UserpollSocketChannelNotYetConnectedTest extends SocketChannelNotYetConnectedTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.clientSocket(source);
    }
}
