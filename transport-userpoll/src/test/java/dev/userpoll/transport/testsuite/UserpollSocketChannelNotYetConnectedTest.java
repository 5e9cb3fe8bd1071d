package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketChannelNotYetConnectedTest;

import java.util.List;

/** Netty's {@link SocketChannelNotYetConnectedTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollSocketChannelNotYetConnectedTest extends SocketChannelNotYetConnectedTest {
    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.clientSocket();
    }
}
