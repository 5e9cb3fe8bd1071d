package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.AbstractSocketReuseFdTest;
import org.junit.jupiter.params.Parameter;

import io.netty.util.NetUtil;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Netty's {@link AbstractSocketReuseFdTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}. Netty runs it on Unix-domain sockets; here on
 * loopback TCP: fd numbers are reused at once as connections come and go, and no event for a closed one reaches
 * the channel that reuses its number.
 */
@EveryRingSource
public class UserpollSocketReuseFdTest extends AbstractSocketReuseFdTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.socket(source);
    }

    @Override
    protected SocketAddress newSocketAddress() {
        return new InetSocketAddress(NetUtil.LOCALHOST, 0);
    }
}
