package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketChannelEOFTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link SocketChannelEOFTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}. Added in 4.2.20: every byte the peer sent before its FIN is read,
 * also when the FIN arrives before the connect completes.
 */
@EveryRingSource
public class UserpollSocketChannelEOFTest extends SocketChannelEOFTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.clientSocket(source);
    }
}
