/**
 * Where readiness comes from (DESIGN.md section 2): the {@link dev.userpoll.transport.ring.RingSource}s over an
 * EPOLL_USERPOLL ring, an io_uring CQ ring fed by multishot polls, or plain epoll; the shared-memory layouts they
 * read (one descriptor class each); the one {@code UserData} encoding of the words the kernel hands back; and the
 * batched socket I/O that rides on an io_uring. Not exported.
 */
package dev.userpoll.transport.ring;
