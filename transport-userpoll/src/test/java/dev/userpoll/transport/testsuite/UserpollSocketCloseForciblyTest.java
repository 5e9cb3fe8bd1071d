package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketCloseForciblyTest;

import java.util.List;

/** Netty's {@link SocketCloseForciblyTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketCloseForciblyTest extends SocketCloseForciblyTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket();
    }
}
