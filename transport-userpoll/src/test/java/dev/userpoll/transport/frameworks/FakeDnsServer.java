package dev.userpoll.transport.frameworks;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback DNS server for tests: answers every A query with 127.0.0.1 (TTL 60) and anything else with no answer;
 * counts the queries. Plain JDK sockets, so that the resolver under test is the only thing on the transport.
 */
final class FakeDnsServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;
    final AtomicInteger queries = new AtomicInteger();

    FakeDnsServer() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "fake-dns");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[512];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (IOException e) {
                return;
            }
            queries.incrementAndGet();
            byte[] reply = answer(ByteBuffer.wrap(p.getData(), 0, p.getLength()));
            if (reply != null) {
                try {
                    socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }
    }

    /** The reply to one query: its id and question echoed, an A record for 127.0.0.1 when it asked for one. */
    private static byte[] answer(ByteBuffer q) {
        if (q.remaining() < 12) {
            return null;
        }
        int start = q.position();
        q.position(start + 12);
        while (q.hasRemaining()) { // QNAME: labels up to the empty one
            int len = q.get() & 0xff;
            if (len == 0) {
                break;
            }
            q.position(q.position() + len);
        }
        if (q.remaining() < 4) {
            return null;
        }
        int qtype = q.getShort() & 0xffff;
        q.getShort(); // QCLASS
        int questionEnd = q.position();
        boolean a = qtype == 1;
        ByteBuffer r = ByteBuffer.allocate(questionEnd - start + (a ? 16 : 0));
        r.putShort(q.getShort(start));           // id
        r.putShort((short) 0x8180);              // response, recursion desired and available, no error
        r.putShort((short) 1).putShort((short) (a ? 1 : 0)).putShort((short) 0).putShort((short) 0);
        for (int i = start + 12; i < questionEnd; i++) {
            r.put(q.get(i));
        }
        if (a) {
            r.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4);
            r.put(new byte[] {127, 0, 0, 1});
        }
        return r.array();
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(5000);
    }
}
