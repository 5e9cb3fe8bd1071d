package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketSslSessionReuseTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link SocketSslSessionReuseTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 */
@EveryRingSource
public class UserpollSocketSslSessionReuseTest extends SocketSslSessionReuseTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket(source);
    }
}
