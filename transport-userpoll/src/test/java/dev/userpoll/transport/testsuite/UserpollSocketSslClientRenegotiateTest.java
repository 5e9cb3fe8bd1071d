package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketSslClientRenegotiateTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link SocketSslClientRenegotiateTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 */
@EveryRingSource
public class UserpollSocketSslClientRenegotiateTest extends SocketSslClientRenegotiateTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket(source);
    }
}
