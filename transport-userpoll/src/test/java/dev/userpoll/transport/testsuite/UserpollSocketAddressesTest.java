package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketAddressesTest;
import org.junit.jupiter.params.Parameter;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.util.List;

/**
 * Netty's {@link SocketAddressesTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 */
@EveryRingSource
public class UserpollSocketAddressesTest extends SocketAddressesTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket(source);
    }

    @Override
    protected void assertAddress(SocketAddress address) {
        assertTrue(((InetSocketAddress) address).getPort() > 0, address::toString);
        assertFalse(((InetSocketAddress) address).getAddress().isAnyLocalAddress(), address::toString);
    }
}
