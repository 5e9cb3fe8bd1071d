/**
 * A Netty 4.2 transport whose event loop drains a kernel-written readiness ring instead of calling
 * {@code epoll_wait}: the public face. {@link dev.userpoll.transport.Userpoll} says whether it can run here;
 * {@link dev.userpoll.transport.UserpollIoHandler#newFactory()} makes its event loops (configured by
 * {@link dev.userpoll.transport.UserpollIoHandlerConfig}); {@link dev.userpoll.transport.UserpollSocketChannel} and
 * {@link dev.userpoll.transport.UserpollServerSocketChannel} are its channels, with
 * {@link dev.userpoll.transport.UserpollChannelOption}s; {@link dev.userpoll.transport.TransportSelector} picks this
 * transport or one of Netty's by configuration. Everything else (the ring sources, the I/O seam, JNI) lives in
 * packages this module does not export.
 */
package dev.userpoll.transport;
