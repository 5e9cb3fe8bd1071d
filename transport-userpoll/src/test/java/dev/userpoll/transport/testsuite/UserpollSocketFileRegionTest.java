package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketFileRegionTest;

import java.util.List;

/** Netty's {@link SocketFileRegionTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketFileRegionTest extends SocketFileRegionTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket();
    }
}
