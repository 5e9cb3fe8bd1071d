package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketStartTlsTest;

import java.util.List;

/** Netty's {@link SocketStartTlsTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketStartTlsTest extends SocketStartTlsTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket();
    }
}
