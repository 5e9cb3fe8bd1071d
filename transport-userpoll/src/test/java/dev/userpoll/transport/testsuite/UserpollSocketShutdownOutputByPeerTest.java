package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketShutdownOutputByPeerTest;

import java.util.List;

/** Netty's {@link SocketShutdownOutputByPeerTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketShutdownOutputByPeerTest extends SocketShutdownOutputByPeerTest {
    @Override
    protected List<BootstrapFactory<ServerBootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.serverSocket();
    }
}
