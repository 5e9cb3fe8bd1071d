package dev.userpoll.transport.testsuite;

import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.WriteBeforeRegisteredTest;

import java.util.List;

/** Netty's {@link WriteBeforeRegisteredTest} on our channels, per {@link UserpollSocketTestPermutation}. */
public class UserpollWriteBeforeRegisteredTest extends WriteBeforeRegisteredTest {
    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.clientSocket();
    }
}
