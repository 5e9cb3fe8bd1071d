package dev.userpoll.transport;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The client side of a test with more connections than one process may hold fds for, run in a child JVM:
 * {@code ChildConnector HOST PORT CONNECTIONS ACTIVE ROUNDS} opens the connections (printing
 * {@code CONNECTED n}), echoes 1 KiB {@code ROUNDS} times on the first {@code ACTIVE} of them, checking every byte
 * ({@code TRAFFIC ok}), then obeys its stdin: {@code close N} closes the first N still open ({@code CLOSED N});
 * end of input closes the rest and exits.
 */
public final class ChildConnector {
    private ChildConnector() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress server = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int connections = Integer.parseInt(args[2]);
        int active = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        List<Socket> sockets = new ArrayList<>(connections);
        for (int i = 0; i < connections; i++) {
            Socket s = new Socket();
            s.connect(server, 30_000);
            s.setSoTimeout(30_000);
            sockets.add(s);
        }
        System.out.println("CONNECTED " + sockets.size());
        byte[] data = EchoHarness.payload(connections, 1024);
        byte[] back = new byte[data.length];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < active; i++) {
                Socket s = sockets.get(i);
                s.getOutputStream().write(data);
                int n = s.getInputStream().readNBytes(back, 0, back.length);
                if (n != data.length || !Arrays.equals(data, back)) {
                    System.out.println("TRAFFIC mismatch on connection " + i + " round " + r);
                    System.exit(1);
                }
            }
        }
        System.out.println("TRAFFIC ok " + active + " x " + rounds);
        int closed = 0;
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.startsWith("close ")) {
                int n = Integer.parseInt(line.substring(6).trim());
                for (int i = 0; i < n && closed < sockets.size(); i++) {
                    sockets.get(closed++).close();
                }
                System.out.println("CLOSED " + closed);
            }
        }
        for (Socket s : sockets) {
            s.close();
        }
    }
}
