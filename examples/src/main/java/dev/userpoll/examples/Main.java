package dev.userpoll.examples;

import dev.userpoll.examples.grpc.GrpcEchoServer;
import dev.userpoll.examples.http.HttpEchoClient;
import dev.userpoll.examples.http.HttpEchoServer;
import dev.userpoll.examples.udp.UdpEchoClient;
import dev.userpoll.examples.udp.UdpEchoServer;
import dev.userpoll.examples.vertx.VertxEchoServer;

import java.util.Arrays;

/**
 * Entry point of {@code userpoll-examples.jar}: the first argument names the program.
 * <pre>
 * java -jar userpoll-examples.jar http-echo-server [--port P] [--threads N] [--transport LIST]
 * java -jar userpoll-examples.jar http-echo-client [--host H] [--port P] [--connections C] [--requests N] ...
 * java -jar userpoll-examples.jar udp-echo-server [--port P] [--transport LIST]
 * java -jar userpoll-examples.jar udp-echo-client [--port P] [--datagrams N] [--size BYTES] [--window W] ...
 * java -jar userpoll-examples.jar vertx-echo-server [--port P] [--transport LIST]
 * java -jar userpoll-examples.jar grpc-echo-server [--port P] [--threads N] [--transport LIST]
 * </pre>
 * Exit status: 0 on success, 1 when a program fails (for the client: any error or mismatch),
 * 2 on a usage or configuration error.
 */
public final class Main {
    private static final String USAGE = String.join(System.lineSeparator(),
            "usage: java -jar userpoll-examples.jar PROGRAM [options]",
            "programs:",
            "  http-echo-server " + HttpEchoServer.OPTIONS,
            "  http-echo-client " + HttpEchoClient.OPTIONS,
            "  udp-echo-server " + UdpEchoServer.OPTIONS,
            "  udp-echo-client " + UdpEchoClient.OPTIONS,
            "  vertx-echo-server " + VertxEchoServer.OPTIONS,
            "  grpc-echo-server " + GrpcEchoServer.OPTIONS,
            "transport LIST: comma-separated, first available wins; entries: userpoll, userpoll:userpoll,",
            "  userpoll:io_uring, userpoll:epoll, netty-epoll, netty-io_uring, nio",
            "  (default: -Duserpoll.transport, else $USERPOLL_TRANSPORT, else userpoll,netty-epoll,nio)");

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // One line per log record (JUL is Netty's logger when nothing else is on the class path).
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT %4$s %3$s: %5$s%6$s%n");
        }
        if (args.length == 0 || "-h".equals(args[0]) || "--help".equals(args[0])) {
            System.out.println(USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        int status;
        try {
            switch (args[0]) {
                case "http-echo-server":
                    status = HttpEchoServer.run(new Options(rest));
                    break;
                case "http-echo-client":
                    status = HttpEchoClient.run(new Options(rest));
                    break;
                case "udp-echo-server":
                    status = UdpEchoServer.run(new Options(rest));
                    break;
                case "udp-echo-client":
                    status = UdpEchoClient.run(new Options(rest));
                    break;
                case "vertx-echo-server":
                    status = VertxEchoServer.run(new Options(rest));
                    break;
                case "grpc-echo-server":
                    status = GrpcEchoServer.run(new Options(rest));
                    break;
                default:
                    throw new IllegalArgumentException("unknown program '" + args[0]
                            + "'; valid: http-echo-server, http-echo-client, udp-echo-server, udp-echo-client,"
                            + " vertx-echo-server, grpc-echo-server");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            // Usage and configuration errors, including a transport setting that names nothing valid
            // or nothing available: one clear line, no stack trace.
            System.err.println(args[0] + ": " + e.getMessage());
            if (e instanceof IllegalArgumentException) {
                System.err.println(USAGE);
            }
            status = 2;
        }
        System.exit(status);
    }
}
