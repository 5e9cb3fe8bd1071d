package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import dev.userpoll.transport.UserpollDatagramChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's {@link DnsNameResolver} with our {@link UserpollDatagramChannel} as its UDP channel resolves names
 * against a small DNS server this test runs on loopback (NIO, Netty's DNS codec; A and AAAA answers, NXDOMAIN for
 * the rest), once per ring source: the resolver a framework's loops use (reactor-netty's, Vert.x's) works on this
 * transport. The hosts file is left out, so every answer comes over the wire.
 */
@EveryRingSource
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public class UserpollDnsResolverTest {
    private static final Map<String, List<byte[]>> A = Map.of(
            "one.userpoll.test.", List.of(new byte[] {127, 0, 0, 42}),
            "two.userpoll.test.", List.of(new byte[] {127, 0, 0, 43}, new byte[] {127, 0, 0, 44}));
    private static final Map<String, List<byte[]>> AAAA = Map.of(
            "six.userpoll.test.", List.of(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42}));
    private static final Map<String, AtomicInteger> QUERIES = new ConcurrentHashMap<>();
    private static Channel server;

    @Parameter
    TestRingSources.Source source;

    @BeforeAll
    static void startServer() throws InterruptedException {
        server = new Bootstrap().group(UserpollSocketTestPermutation.nioWorkerGroup())
                .channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new TinyDnsServer());
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    @AfterAll
    static void stopServer() throws InterruptedException {
        server.close().sync();
    }

    /** Answers A and AAAA from the tables; a known name without records of the type is NOERROR, empty. */
    private static final class TinyDnsServer extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            String name = question.name().endsWith(".") ? question.name() : question.name() + '.';
            QUERIES.computeIfAbsent(name + ' ' + question.type().name(), k -> new AtomicInteger()).incrementAndGet();
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            List<byte[]> answers = question.type() == DnsRecordType.A ? A.get(name)
                    : question.type() == DnsRecordType.AAAA ? AAAA.get(name) : null;
            if (answers != null) {
                for (byte[] address : answers) {
                    response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(),
                            60, Unpooled.wrappedBuffer(address)));
                }
            } else if (!A.containsKey(name) && !AAAA.containsKey(name)) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            }
            ctx.writeAndFlush(response);
        }
    }

    private DnsNameResolver resolver(ResolvedAddressTypes types, AtomicInteger channelsMade) {
        return new DnsNameResolverBuilder(UserpollSocketTestPermutation.workerGroup(source).next())
                .datagramChannelFactory(() -> {
                    channelsMade.incrementAndGet();
                    return new UserpollDatagramChannel(SocketProtocolFamily.INET);
                })
                .nameServerProvider(new SingletonDnsServerAddressStreamProvider(
                        (InetSocketAddress) server.localAddress()))
                .hostsFileEntriesResolver((host, addressTypes) -> null)
                .searchDomains(Collections.emptyList())
                .resolvedAddressTypes(types)
                .optResourceEnabled(false)
                .queryTimeoutMillis(5000)
                .build();
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static int queries(String key) {
        AtomicInteger n = QUERIES.get(key);
        return n == null ? 0 : n.get();
    }

    @Test
    void resolvesARecordsOverOurChannel() throws Exception {
        AtomicInteger made = new AtomicInteger();
        DnsNameResolver resolver = resolver(ResolvedAddressTypes.IPV4_ONLY, made);
        try {
            int before = queries("one.userpoll.test. A");
            InetAddress one = get(resolver.resolve("one.userpoll.test"));
            assertEquals(InetAddress.getByAddress(new byte[] {127, 0, 0, 42}), one);
            assertTrue(queries("one.userpoll.test. A") > before, "the answer came from the server");

            List<InetAddress> two = get(resolver.resolveAll("two.userpoll.test"));
            Set<InetAddress> expected = new HashSet<>(Arrays.asList(
                    InetAddress.getByAddress(new byte[] {127, 0, 0, 43}),
                    InetAddress.getByAddress(new byte[] {127, 0, 0, 44})));
            assertEquals(expected, new HashSet<>(two));
            assertTrue(made.get() > 0, "the resolver's UDP channel is ours");
        } finally {
            resolver.close();
        }
    }

    @Test
    void resolvesAaaaRecords() throws Exception {
        DnsNameResolver resolver = resolver(ResolvedAddressTypes.IPV6_ONLY, new AtomicInteger());
        try {
            InetAddress six = get(resolver.resolve("six.userpoll.test"));
            assertEquals(InetAddress.getByName("fd00::42"), six);
        } finally {
            resolver.close();
        }
    }

    @Test
    void unknownNameIsUnknownHost() throws Exception {
        DnsNameResolver resolver = resolver(ResolvedAddressTypes.IPV4_ONLY, new AtomicInteger());
        try {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> get(resolver.resolve("missing.userpoll.test")));
            assertInstanceOf(UnknownHostException.class, e.getCause());
            // Still answering afterwards, on the same channel.
            assertEquals(InetAddress.getByAddress(new byte[] {127, 0, 0, 42}),
                    get(resolver.resolve("one.userpoll.test")));
        } finally {
            resolver.close();
        }
    }
}
