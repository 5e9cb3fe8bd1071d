package dev.userpoll.transport.testsuite;

import dev.userpoll.transport.TestRingSources;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.unix.Socket;
import io.netty.testsuite.transport.TestsuitePermutation.BootstrapFactory;
import io.netty.testsuite.transport.socket.AbstractSocketShutdownOutputByPeerTest;
import org.junit.jupiter.params.Parameter;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Netty's {@link AbstractSocketShutdownOutputByPeerTest} over Unix-domain sockets, once per ring source: our domain
 * server against a plain Unix-domain socket (Netty's {@link Socket}) that writes and shuts its output down, as
 * Netty's epoll module runs it ({@code EpollDomainSocketShutdownOutputByPeerTest}).
 */
@EveryRingSource
public class UserpollDomainSocketShutdownOutputByPeerTest extends AbstractSocketShutdownOutputByPeerTest<Socket> {
    @Parameter
    TestRingSources.Source source;

    @Override
    protected List<BootstrapFactory<ServerBootstrap>> newFactories() {
        return UserpollSocketTestPermutation.INSTANCE.serverDomainSocket(source);
    }

    @Override
    protected SocketAddress newSocketAddress() {
        return UserpollSocketTestPermutation.newDomainSocketAddress();
    }

    @Override
    protected void shutdownOutput(Socket s) throws IOException {
        s.shutdown(false, true);
    }

    @Override
    protected void connect(Socket s, SocketAddress address) throws IOException {
        s.connect(address); // a listening domain socket with room in its backlog accepts the connect at once
    }

    @Override
    protected void close(Socket s) throws IOException {
        s.close();
    }

    @Override
    protected void write(Socket s, int data) throws IOException {
        // Native order, as Netty's epoll test writes it: the handler reads the first byte, which then is the value.
        ByteBuffer buf = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).putInt(data).flip();
        s.send(buf, buf.position(), buf.limit());
    }

    @Override
    protected Socket newSocket() {
        return Socket.newSocketDomain();
    }
}
