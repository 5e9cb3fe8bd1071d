package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.ServerSocketSuspendTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link ServerSocketSuspendTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 */
@EveryRingSource
public class UserpollServerSocketSuspendTest extends ServerSocketSuspendTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<ServerBootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.serverSocket(source);
    }
}
