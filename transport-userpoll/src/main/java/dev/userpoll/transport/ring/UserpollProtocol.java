package dev.userpoll.transport.ring;

import java.util.Locale;

/**
 * The two publish protocols of the EPOLL_USERPOLL index ring (USERPOLL-ABI.md). They differ in how
 * the kernel publishes an entry and so in what the consumer may assume about a slot below {@code tail}.
 */
public enum UserpollProtocol {
    /**
     * RFC v3: the kernel reserves {@code i = tail++} and only then writes {@code index[i & mask] = item + 1}.
     * A slot below {@code tail} may still be 0: the consumer spins on it, then clears it for the next lap.
     */
    V3(UserpollRingLayout.SYSCALL_EPOLL_CREATE2_V3),
    /**
     * RFC v4/v5: inserters write {@code index[slot & mask] = item} and the last one out advances {@code tail},
     * so every slot below {@code tail} is written: no spin, no clearing, and an entry is the item itself.
     */
    V5(UserpollRingLayout.SYSCALL_EPOLL_CREATE2_V5);

    private final int syscallNumber;

    UserpollProtocol(int syscallNumber) {
        this.syscallNumber = syscallNumber;
    }

    /** The x86_64 syscall number of {@code epoll_create2} in the patch series that speaks this protocol. */
    public int syscallNumber() {
        return syscallNumber;
    }

    /** The protocol of the series whose {@code epoll_create2} has {@code syscallNumber}, or {@code null}. */
    public static UserpollProtocol ofSyscall(int syscallNumber) {
        for (UserpollProtocol p : values()) {
            if (p.syscallNumber == syscallNumber) {
                return p;
            }
        }
        return null;
    }

    /** Parses {@code v3} or {@code v5} (case-insensitive; {@code v4} is the same protocol as {@code v5}). */
    public static UserpollProtocol parse(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "v3":
            case "3":
                return V3;
            case "v4":
            case "v5":
            case "4":
            case "5":
                return V5;
            default:
                throw new IllegalArgumentException("unknown userpoll protocol '" + name + "'; valid: v3, v5");
        }
    }
}
