package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollDatagramChannel;
import dev.userpoll.transport.UserpollDomainDatagramChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapComboFactory;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Netty's datagram test permutation for our {@link UserpollDatagramChannel}, per ring source, the way
 * {@link UserpollSocketTestPermutation} builds the socket one (and on its loop groups): ours with ours and, where
 * the source {@linkplain TestRingSources.Source#pairsWithNio() pairs with NIO}, ours with a NIO peer on either side.
 */
public final class UserpollDatagramTestPermutation {
    static final UserpollDatagramTestPermutation INSTANCE = new UserpollDatagramTestPermutation();

    private UserpollDatagramTestPermutation() {
    }

    /** Datagram tests of {@code family} on one ring source: the two peers of a unicast or multicast test. */
    public List<BootstrapComboFactory<Bootstrap, Bootstrap>> datagram(TestRingSources.Source kind,
                                                                      SocketProtocolFamily family) {
        List<BootstrapComboFactory<Bootstrap, Bootstrap>> list = new ArrayList<>();
        list.add(combo(ours(kind, family), ours(kind, family)));
        if (kind.pairsWithNio()) {
            list.add(combo(ours(kind, family), nio(family)));
            list.add(combo(nio(family), ours(kind, family)));
        }
        return list;
    }

    /** Unix-domain datagram tests on one ring source: ours with ours (NIO has no Unix-domain datagram channel). */
    public List<BootstrapComboFactory<Bootstrap, Bootstrap>> domainDatagram(TestRingSources.Source kind) {
        ChannelFactory<Channel> factory = UserpollSocketTestPermutation.named(
                UserpollDomainDatagramChannel::new, "UserpollDomainDatagramChannel on " + kind);
        BootstrapFactory<Bootstrap> ours = () -> new Bootstrap()
                .group(UserpollSocketTestPermutation.workerGroup(kind)).channelFactory(factory);
        return Collections.singletonList(combo(ours, ours));
    }

    /** Client-only datagram tests on one ring source: our channel against the test's own peer. */
    public List<BootstrapFactory<Bootstrap>> datagramSocket(TestRingSources.Source kind) {
        return Collections.singletonList(ours(kind, null));
    }

    /** Whether {@code b} makes NIO datagram channels (the peer of a mixed combination). */
    static boolean isNio(Bootstrap b) {
        return String.valueOf(b.config().channelFactory()).startsWith("NioDatagramChannel");
    }

    /**
     * Netty's suite is 4.2.20 and the NIO peer is Netty 4.2.18's (the BOM's), which predates what two new tests
     * check of NIO itself: a NIO sender skips empty datagrams, and NIO's {@code block(group, source)} throws on a
     * wildcard-bound channel. Such a combination says so and is left out; the others run.
     */
    static boolean skipNioPeer(Bootstrap nio, String test) {
        if (isNio(nio)) {
            System.out.println("[testsuite] " + test + ": the NIO side is left out (Netty 4.2.18's NIO predates it)");
            return true;
        }
        return false;
    }

    private static BootstrapFactory<Bootstrap> ours(TestRingSources.Source kind, SocketProtocolFamily family) {
        ChannelFactory<Channel> factory = UserpollSocketTestPermutation.named(
                () -> new UserpollDatagramChannel(family), "UserpollDatagramChannel(" + family + ") on " + kind);
        return () -> new Bootstrap().group(UserpollSocketTestPermutation.workerGroup(kind)).channelFactory(factory);
    }

    private static BootstrapFactory<Bootstrap> nio(SocketProtocolFamily family) {
        ChannelFactory<Channel> factory = UserpollSocketTestPermutation.named(
                () -> new NioDatagramChannel(family), "NioDatagramChannel(" + family + ")");
        return () -> new Bootstrap().group(UserpollSocketTestPermutation.nioWorkerGroup()).channelFactory(factory);
    }

    private static BootstrapComboFactory<Bootstrap, Bootstrap> combo(BootstrapFactory<Bootstrap> server,
                                                                     BootstrapFactory<Bootstrap> client) {
        return new BootstrapComboFactory<Bootstrap, Bootstrap>() {
            @Override
            public Bootstrap newServerInstance() {
                return server.newInstance();
            }

            @Override
            public Bootstrap newClientInstance() {
                return client.newInstance();
            }
        };
    }
}
