package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketShutdownOutputBySelfTest;

import java.util.List;

/** Netty's {@link SocketShutdownOutputBySelfTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketShutdownOutputBySelfTest extends SocketShutdownOutputBySelfTest {
    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.clientSocket();
    }
}
