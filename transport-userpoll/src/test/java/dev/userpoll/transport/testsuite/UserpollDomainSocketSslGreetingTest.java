package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.SocketSslGreetingTest;
import org.junit.jupiter.params.Parameter;

import java.net.SocketAddress;
import java.util.List;

/**
 * Netty's {@link SocketSslGreetingTest} over Unix-domain sockets, on two ring sources ({@link TlsRingSources}): our
 * domain server with our domain client, as Netty's epoll module runs it ({@code EpollDomainSocketSslGreetingTest}).
 */
@TlsRingSources
public class UserpollDomainSocketSslGreetingTest extends SocketSslGreetingTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected SocketAddress newSocketAddress() {
        return UserpollSocketTestPermutation.newDomainSocketAddress();
    }

    @Override
    protected List<BootstrapComboFactory<ServerBootstrap, Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.domainSocket(source);
    }
}
