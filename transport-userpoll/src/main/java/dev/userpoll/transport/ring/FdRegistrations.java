package dev.userpoll.transport.ring;

import java.util.Arrays;

/**
 * The fd-indexed registration table a source keeps so that it never delivers an event for a
 * registration that has ended: the kernel's data word is {@code seq << 32 | fd}, and an event counts
 * only while the fd's current sequence matches (epoll(7), "event cache": closes and fd reuse in
 * the middle of a batch). The data word is a {@link UserData} registration word. Loop thread only; grows with the
 * highest fd, never allocates per event.
 */
final class FdRegistrations {
    private long[] tokens = new long[256];
    private int[] seqs = new int[256];
    private boolean[] live = new boolean[256];
    private int nextSeq = 1;
    private int count;

    /** Starts a registration of fd and returns the data word to hand to the kernel. */
    long add(int fd, long token) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd: " + fd);
        }
        if (fd >= tokens.length) {
            int n = Math.max(tokens.length * 2, fd + 1);
            tokens = Arrays.copyOf(tokens, n);
            seqs = Arrays.copyOf(seqs, n);
            live = Arrays.copyOf(live, n);
        }
        if (live[fd]) {
            throw new IllegalStateException("fd " + fd + " is already registered");
        }
        int seq = nextSeq;
        // The sequence number lives in 30 bits of the data word (the kind bits above it stay 0); 0 is skipped.
        nextSeq = (nextSeq + 1) & UserData.REGISTRATION_SEQ_MASK;
        if (nextSeq == 0) {
            nextSeq = 1;
        }
        tokens[fd] = token;
        seqs[fd] = seq;
        live[fd] = true;
        count++;
        return dataWord(fd, seq);
    }

    /** Ends fd's registration; returns its data word, or -1 when fd was not registered. */
    long remove(int fd) {
        if (!isRegistered(fd)) {
            return -1;
        }
        live[fd] = false;
        count--;
        return dataWord(fd, seqs[fd]);
    }

    boolean isRegistered(int fd) {
        return fd >= 0 && fd < live.length && live[fd];
    }

    /** Whether the data word belongs to a registration that is still current. */
    boolean isCurrent(long data) {
        if (!UserData.isRegistration(data)) {
            return false;
        }
        int fd = fdOf(data);
        return fd >= 0 && fd < live.length && live[fd] && seqs[fd] == UserData.registrationSeq(data);
    }

    /** The caller's token for a current data word. */
    long token(long data) {
        return tokens[fdOf(data)];
    }

    int size() {
        return count;
    }

    static int fdOf(long data) {
        return UserData.fd(data);
    }

    static long dataWord(int fd, int seq) {
        return UserData.registration(fd, seq);
    }
}
