package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.Bootstrap;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.socket.DatagramUnicastIPv6Test;
import org.junit.jupiter.params.Parameter;

import java.util.List;

/** Netty's {@link DatagramUnicastIPv6Test} on our datagram channel, once per ring source, per {@link UserpollDatagramTestPermutation}. */
@EveryRingSource
public class UserpollDatagramUnicastIPv6Test extends DatagramUnicastIPv6Test {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapComboFactory<Bootstrap, Bootstrap>> newFactories() {
        return UserpollDatagramTestPermutation.INSTANCE.datagram(source, socketProtocolFamily());
    }

    @Override
    public void testSendEmptyDatagramsInOneFlush(Bootstrap sb, Bootstrap cb) throws Throwable {
        if (!UserpollDatagramTestPermutation.skipNioPeer(cb, "testSendEmptyDatagramsInOneFlush")) {
            super.testSendEmptyDatagramsInOneFlush(sb, cb);
        }
    }
}
