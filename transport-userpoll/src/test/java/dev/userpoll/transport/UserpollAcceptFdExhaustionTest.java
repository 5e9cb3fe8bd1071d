package dev.userpoll.transport;

import dev.userpoll.transport.internal.Native;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * accept(2) failing with EMFILE leaves the connection in the backlog and, the listener being
 * edge-triggered, no new edge will say so: the server must survive and accept it once fds free up.
 */
class UserpollAcceptFdExhaustionTest {

    @ParameterizedTest
    @MethodSource("dev.userpoll.transport.TestRingSources#all")
    void theServerSurvivesEmfileAndAcceptsOnceFdsFreeUp(TestRingSources.Source source) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, source.ioHandlerFactory());
        Deque<FileDescriptor> filler = new ArrayDeque<>();
        io.netty.channel.unix.Socket client = null;
        try {
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch accepted = new CountDownLatch(1);
            Channel listener = new ServerBootstrap().group(group).channel(UserpollServerSocketChannel.class)
                    .handler(new ErrorRecorder(errors))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.countDown();
                            ctx.close();
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            InetSocketAddress address = (InetSocketAddress) listener.localAddress();

            // Loading a class from a directory takes an fd: load ours now, before there are none.
            preloadClassesBeside(UserpollIoHandler.class);
            Errors.newIOException("warm-up", -Native.EMFILE);
            // Use up every fd the process may have, keeping one for the client socket.
            try {
                while (true) {
                    filler.push(FileDescriptor.from("/dev/null"));
                }
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("Too many open files") || filler.size() > 100,
                        "stopped filling for another reason: " + expected);
            }
            filler.pop().close();
            client = io.netty.channel.unix.Socket.newSocketStream();
            client.connect(address); // completes in the kernel's backlog; accept(2) then has no fd to give

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (errors.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertFalse(errors.isEmpty(), "accept did not report running out of fds");
            assertTrue(errors.peek() instanceof Errors.NativeIoException, "unexpected: " + errors.peek());
            assertFalse(accepted.await(200, TimeUnit.MILLISECONDS), "accepted without an fd");

            for (int i = 0; i < 16 && !filler.isEmpty(); i++) {
                filler.pop().close();
            }
            // No new connection arrives, so no new edge: only the server's own retry can accept it.
            assertTrue(accepted.await(10, TimeUnit.SECONDS), "the pending connection was never accepted");
            assertTrue(listener.isActive(), "the listener survived");
            listener.close().sync();
        } finally {
            while (!filler.isEmpty()) {
                filler.pop().close();
            }
            if (client != null) {
                client.close();
            }
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    /** Loads every class of the class-path directory (not jar) that holds {@code anchor}. */
    private static void preloadClassesBeside(Class<?> anchor) throws Exception {
        java.net.URL url = anchor.getProtectionDomain().getCodeSource().getLocation();
        if (!"file".equals(url.getProtocol()) || !url.getPath().endsWith("/")) {
            return; // a jar: already open, its classes load without new fds
        }
        java.nio.file.Path root = java.nio.file.Path.of(url.toURI());
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(root)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                String rel = root.relativize(f).toString();
                // module-info and package-info describe, they are not classes to load
                if (rel.endsWith(".class") && !rel.endsWith("module-info.class") && !rel.endsWith("package-info.class")) {
                    Class.forName(rel.substring(0, rel.length() - 6).replace('/', '.'), true, anchor.getClassLoader());
                }
            }
        }
    }

    @ChannelHandler.Sharable
    private static final class ErrorRecorder extends ChannelInboundHandlerAdapter {
        private final ConcurrentLinkedQueue<Throwable> errors;

        ErrorRecorder(ConcurrentLinkedQueue<Throwable> errors) {
            this.errors = errors;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
            ctx.fireExceptionCaught(cause); // Netty's acceptor then pauses accepting for a second, as it would in production
        }
    }
}
