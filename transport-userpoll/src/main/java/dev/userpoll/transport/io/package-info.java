/**
 * The one I/O seam between the channels and the kernel (DESIGN.md 4b): a channel's {@link
 * dev.userpoll.transport.io.SocketIo} performs its reads and writes at once or queues them in the loop's batch, and
 * hands the results of queued ones to the channel's {@link dev.userpoll.transport.io.IoCompletion}; a loop's
 * {@link dev.userpoll.transport.io.Submitter} hands out the channels' {@code SocketIo} and does the loop's part.
 * Not exported.
 */
package dev.userpoll.transport.io;
