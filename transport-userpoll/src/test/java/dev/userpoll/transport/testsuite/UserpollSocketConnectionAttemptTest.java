package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.SocketConnectionAttemptTest;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/**
 * Netty's {@link SocketConnectionAttemptTest} on our channels, once per ring source,
 * per {@link UserpollSocketTestPermutation}.
 *
 * <p>Two of its tests connect to {@code 198.51.100.254}, a non-loopback address, and this project sends traffic to
 * loopback only: they are excluded here (and nowhere else), and {@link UserpollConnectTimeoutTest} covers the same
 * behaviour, connect timeout and connect cancellation, against a loopback listener that never answers.
 */
@EveryRingSource
public class UserpollSocketConnectionAttemptTest extends SocketConnectionAttemptTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.clientSocket(source);
    }

    @Override
    @Test
    @Disabled("connects to 198.51.100.254, a non-loopback address; covered by UserpollConnectTimeoutTest")
    public void testConnectTimeout(TestInfo testInfo) {
    }

    @Override
    @Test
    @Disabled("connects to 198.51.100.254, a non-loopback address; covered by UserpollConnectTimeoutTest")
    public void testConnectCancellation(TestInfo testInfo) {
    }
}
