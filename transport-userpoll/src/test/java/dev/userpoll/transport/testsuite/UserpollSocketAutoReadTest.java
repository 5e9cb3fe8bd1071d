package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketAutoReadTest;

import java.util.List;

/** Netty's {@link SocketAutoReadTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketAutoReadTest extends SocketAutoReadTest {
    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket();
    }
}
