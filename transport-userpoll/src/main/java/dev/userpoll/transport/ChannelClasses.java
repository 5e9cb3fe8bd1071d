package dev.userpoll.transport;

import io.netty.channel.Channel;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * The channel classes of one transport choice, one per kind of socket. A kind the transport does not offer is
 * {@code null} (Netty's io_uring and NIO transports have no Unix-domain datagram channel, for example).
 *
 * @param serverSocket        TCP server
 * @param socket              TCP client and accepted
 * @param datagram            UDP
 * @param serverDomainSocket  Unix-domain stream server
 * @param domainSocket        Unix-domain stream client and accepted
 * @param domainDatagram      Unix-domain datagram
 */
record ChannelClasses(Class<? extends ServerSocketChannel> serverSocket,
                      Class<? extends SocketChannel> socket,
                      Class<? extends DatagramChannel> datagram,
                      Class<? extends ServerChannel> serverDomainSocket,
                      Class<? extends Channel> domainSocket,
                      Class<? extends Channel> domainDatagram) {
    ChannelClasses {
        if (serverSocket == null || socket == null) {
            throw new IllegalArgumentException("every transport has TCP channels");
        }
    }
}
