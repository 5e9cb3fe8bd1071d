package dev.userpoll.transport;

import static dev.userpoll.transport.internal.Native.EPOLLERR;
import static dev.userpoll.transport.internal.Native.EPOLLHUP;
import static dev.userpoll.transport.internal.Native.EPOLLIN;
import static dev.userpoll.transport.internal.Native.EPOLLOUT;
import static dev.userpoll.transport.internal.Native.EPOLLRDHUP;

/**
 * What a channel knows of its socket's readiness when the fd is registered once, edge-triggered (DESIGN.md
 * section 4): the one place those rules live. An edge means "ready until the next {@code EAGAIN}", so the
 * state is kept here in user space between edges; a channel that stops early while still ready is served
 * again from the loop's ready list ({@link AbstractUserpollChannel#scheduleRetry()}) instead of waiting for an
 * edge that will not come.
 * Loop thread only.
 */
final class EdgeState {
    /** Its {@code scheduleRetry()} puts it on the ready list: served again next pass, without a kernel event. */
    private final AbstractUserpollChannel channel;
    /** The last edge said "readable" and no read has seen EAGAIN since. */
    private boolean readable;
    /** Writable until a write sees EAGAIN; then until the next OUT edge. */
    private boolean writable = true;
    /** The peer shut its output down (RDHUP, HUP or ERR seen): read on until EOF whatever the read sizes say. */
    private boolean peerClosed;
    /** End of stream was read and the input is shut: nothing more will arrive. */
    private boolean inputEnded;

    EdgeState(AbstractUserpollChannel channel) {
        this.channel = channel; // not a method reference: one object less for each of a server's connections
    }

    /** Whether {@code events} carry a write edge (ERR and HUP too: the write that follows reports them). */
    static boolean isWriteEdge(int events) {
        return (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0;
    }

    /** Whether {@code events} carry a read edge (a hang-up too: the read that follows sees EOF or the error). */
    static boolean isReadEdge(int events) {
        return (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) != 0;
    }

    /** Whether {@code events} say the peer closed its side or the socket failed. */
    static boolean isHangup(int events) {
        return (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    }

    /** Whether {@code events} say the socket failed or the connection is gone (ERR or HUP, not a mere RDHUP). */
    static boolean isFailure(int events) {
        return (events & (EPOLLHUP | EPOLLERR)) != 0;
    }

    /** Whether {@code events} carry a socket error (a reset, a refused connect). */
    static boolean isError(int events) {
        return (events & EPOLLERR) != 0;
    }

    /** An OUT edge (or an error): writable until the next EAGAIN. */
    void writeEdge() {
        writable = true;
    }

    /** An IN edge: readable until the next EAGAIN. */
    void readEdge() {
        readable = true;
    }

    /** RDHUP, HUP or ERR: readable, and every read goes on to EOF or the error. */
    void readHangup() {
        readable = !inputEnded; // after EOF nothing is left to read: a late hang-up must not send reads round
        peerClosed = true;
    }

    /** A read saw EAGAIN or EOF, or a short stream read drained the socket (man 7 epoll): this edge is used up. */
    void readDrained() {
        readable = false;
    }

    /** A write saw EAGAIN, or a connect is still in progress: wait for the next OUT edge. */
    void writeBlocked() {
        writable = false;
    }

    /** Readable by what the loop knows without an edge (the accept back-off timer ran out); served next pass. */
    void assumeReadable() {
        readable = true;
        channel.scheduleRetry();
    }

    /** End of stream was read and the input shut: no read will find anything any more. */
    void inputEnded() {
        inputEnded = true;
        readable = false;
    }

    /** A read session stopped before EAGAIN (its message limit): still readable, so it goes on next pass. */
    void readStoppedEarly() {
        if (readable) {
            channel.scheduleRetry();
        }
    }

    /** A flush stopped at its spin count with data left and no EAGAIN: still writable, so it goes on next pass. */
    void writeStoppedEarly() {
        channel.scheduleRetry();
    }

    /** Reading was asked for ({@code read()}): an edge that came while reading was off is still owed. */
    void readRequested() {
        if (readable) {
            channel.scheduleRetry();
        }
    }

    boolean isReadable() {
        return readable;
    }

    boolean isWritable() {
        return writable;
    }

    boolean isPeerClosed() {
        return peerClosed;
    }

    boolean isInputEnded() {
        return inputEnded;
    }

    @Override
    public String toString() {
        return "EdgeState(" + (readable ? "readable" : "drained") + ", " + (writable ? "writable" : "blocked")
                + (peerClosed ? ", peer closed" : "") + (inputEnded ? ", input ended" : "") + ')';
    }
}
