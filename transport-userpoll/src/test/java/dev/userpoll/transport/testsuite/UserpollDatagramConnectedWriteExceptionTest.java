package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.DatagramConnectedWriteExceptionTest;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/** Netty's {@link DatagramConnectedWriteExceptionTest} on our datagram channel, once per ring source. */
@EveryRingSource
public class UserpollDatagramConnectedWriteExceptionTest extends DatagramConnectedWriteExceptionTest {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<Bootstrap>> newFactories() {
        return UserpollDatagramTestPermutation.INSTANCE.datagramSocket(source);
    }
}
