package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketShutdownOutputByPeerTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link SocketShutdownOutputByPeerTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 */
@EveryRingSource
public class UserpollSocketShutdownOutputByPeerTest extends SocketShutdownOutputByPeerTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<ServerBootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.serverSocket(source);
    }
}
