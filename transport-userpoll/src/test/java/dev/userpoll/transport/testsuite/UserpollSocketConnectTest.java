package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketConnectTest;

import java.util.List;

/** Netty's {@link SocketConnectTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketConnectTest extends SocketConnectTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket();
    }
}
