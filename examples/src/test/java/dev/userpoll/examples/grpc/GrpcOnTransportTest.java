package dev.userpoll.examples.grpc;

import dev.userpoll.transport.FrameworkChoices;
import dev.userpoll.transport.FrameworkChoices.Choice;
import dev.userpoll.transport.TransportSelector;
import dev.userpoll.transport.grpc.UserpollGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.userpoll.transport.FrameworkChoices.payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * grpc-java (grpc-netty) on {@link UserpollGrpc}, on every transport choice, serving the example's {@link GrpcEcho}:
 * unary calls of several sizes, concurrent calls, a bidirectional stream, and an NIO client against the server;
 * every byte checked. A channel type that did not match the loops would fail at once: a userpoll loop refuses other
 * channels, and Netty's refuse ours. It runs here rather than beside the transport's other framework tests so that
 * the echo service is written once: the transport module cannot see the examples (they depend on it).
 */
class GrpcOnTransportTest {
    static List<Choice> choices() {
        return FrameworkChoices.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void unixDomainSockets(Choice choice, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Class<?> serverClass = choice.transport().serverDomainSocketChannelClass();
        org.junit.jupiter.api.Assumptions.assumeTrue(serverClass != null
                        && io.netty.channel.unix.ServerDomainSocketChannel.class.isAssignableFrom(serverClass),
                () -> choice + ": no io.netty.channel.unix domain channels for a DomainSocketAddress");
        io.netty.channel.unix.DomainSocketAddress path =
                new io.netty.channel.unix.DomainSocketAddress(dir.resolve("grpc.sock").toString());
        try (UserpollGrpc grpc = UserpollGrpc.create(choice.transport(), 1)) {
            Server server = grpc.serverBuilder(path).addService(GrpcEcho.service()).build().start();
            ManagedChannel channel = grpc.channelBuilder(path).usePlaintext().build();
            try {
                assertArrayEquals(payload(200_000), ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), payload(200_000)));
            } finally {
                channel.shutdownNow();
                server.shutdownNow();
                assertTrue(channel.awaitTermination(10, TimeUnit.SECONDS));
                assertTrue(server.awaitTermination(10, TimeUnit.SECONDS));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void unaryConcurrentAndStreamingCalls(Choice choice) throws Exception {
        try (UserpollGrpc grpc = UserpollGrpc.create(choice.transport(), 2);
             UserpollGrpc nio = UserpollGrpc.create(TransportSelector.select("nio"), 1)) {
            Server server = grpc.serverBuilder(new InetSocketAddress("127.0.0.1", 0))
                    .addService(GrpcEcho.service()).build().start();
            SocketAddress address = server.getListenSockets().get(0);
            ManagedChannel channel = grpc.channelBuilder(address).usePlaintext().build();
            ManagedChannel nioChannel = nio.channelBuilder(address).usePlaintext().build();
            try {
                for (int size : new int[] {0, 1, 4096, 1 << 20}) {
                    assertArrayEquals(payload(size), ClientCalls.blockingUnaryCall(channel, GrpcEcho.UNARY,
                            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), payload(size)));
                }
                assertArrayEquals(payload(70_000), ClientCalls.blockingUnaryCall(nioChannel, GrpcEcho.UNARY,
                        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), payload(70_000)),
                        "an NIO client against the server on " + choice);

                List<com.google.common.util.concurrent.ListenableFuture<byte[]>> calls = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    calls.add(ClientCalls.futureUnaryCall(channel.newCall(GrpcEcho.UNARY,
                            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), payload(1000 + i)));
                }
                for (int i = 0; i < calls.size(); i++) {
                    assertArrayEquals(payload(1000 + i), calls.get(i).get(30, TimeUnit.SECONDS));
                }

                CompletableFuture<List<byte[]>> received = new CompletableFuture<>();
                List<byte[]> got = new ArrayList<>();
                StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
                        channel.newCall(GrpcEcho.STREAM, io.grpc.CallOptions.DEFAULT), new StreamObserver<byte[]>() {
                            @Override
                            public void onNext(byte[] value) {
                                got.add(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                                received.completeExceptionally(t);
                            }

                            @Override
                            public void onCompleted() {
                                received.complete(got);
                            }
                        });
                for (int i = 0; i < 100; i++) {
                    requests.onNext(payload(i * 97));
                }
                requests.onCompleted();
                List<byte[]> replies = received.get(30, TimeUnit.SECONDS);
                assertEquals(100, replies.size());
                Iterator<byte[]> it = replies.iterator();
                for (int i = 0; i < 100; i++) {
                    assertArrayEquals(payload(i * 97), it.next(), "stream message " + i);
                }
            } finally {
                channel.shutdownNow();
                nioChannel.shutdownNow();
                server.shutdownNow();
                assertTrue(channel.awaitTermination(10, TimeUnit.SECONDS));
                assertTrue(nioChannel.awaitTermination(10, TimeUnit.SECONDS));
                assertTrue(server.awaitTermination(10, TimeUnit.SECONDS));
            }
        }
    }
}
