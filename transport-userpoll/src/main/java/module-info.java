/**
 * netty-transport-userpoll: a Netty 4.2 transport whose event loop drains a kernel-written readiness ring.
 * The API is {@code dev.userpoll.transport}: availability, the {@code IoHandler} factory and its
 * configuration, the channels and their options, the selector, and the ring-source and I/O-submitter kinds. The
 * ring sources, the I/O seam and the JNI boundary stay inside. Netty's own epoll and io_uring transports are
 * optional: the selector offers them when they are present. The adapters for reactor-netty, Vert.x 5 and grpc-java
 * ({@code .reactor}, {@code .vertx}, {@code .grpc}) are exported too; their frameworks are optional dependencies.
 */
module dev.userpoll.transport {
    requires transitive io.netty.transport;
    requires transitive io.netty.transport.unix.common;
    requires transitive io.netty.common;
    requires io.netty.buffer;
    requires static io.netty.transport.classes.epoll;
    requires static io.netty.transport.classes.io_uring;
    // The framework adapters: each package is used only by an application that has its framework.
    requires static reactor.netty.core;
    requires static reactor.core;
    requires static io.vertx.core;
    requires static io.grpc.netty;
    requires static io.grpc;

    exports dev.userpoll.transport;
    exports dev.userpoll.transport.reactor;
    exports dev.userpoll.transport.vertx;
    exports dev.userpoll.transport.grpc;
}
