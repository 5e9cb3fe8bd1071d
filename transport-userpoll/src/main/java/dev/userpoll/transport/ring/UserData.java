package dev.userpoll.transport.ring;

/**
 * The one encoding of the 64-bit word the kernel hands back with every event: epoll's {@code data} and
 * io_uring's {@code user_data}. The top two bits say what the word names, so one completion queue can
 * carry readiness, batched socket operations and a source's own control requests side by side:
 * <pre>
 *   00 | seq (30 bits) | fd (32 bits)      a registration ({@link FdRegistrations}): current only while its seq is
 *   01 | 0             | op seq (32 bits)  a batched socket operation ({@link IoUringSocketBatch})
 *   10 | 0             | control code      the source's own: its wakeup, a poll removal
 * </pre>
 * Nothing else reaches the kernel as a data word. A registration's word maps to the loop's token for it, which
 * the source hands back with every event: {@code generation << 32 | slot} of the loop's registration table
 * ({@link #token}), so an event for a slot reused since is never taken for the new registration's.
 */
public final class UserData {
    private static final long KIND_MASK = 3L << 62;
    private static final long REGISTRATION = 0;
    private static final long OPERATION = 1L << 62;
    private static final long CONTROL = 2L << 62;

    /** A registration's sequence number is this wide; 0 is never handed out. */
    static final int REGISTRATION_SEQ_MASK = (1 << 30) - 1;

    /** The wakeup eventfd's poll arm. */
    static final long WAKEUP = CONTROL | 1;
    /** A poll removal request (its own completion carries nothing the loop needs). */
    static final long REMOVAL = CONTROL | 2;
    /** A source's own timer fd (the userpoll source's park deadline). */
    static final long TIMER = CONTROL | 3;
    /** A batch's one-shot poll of its source's doorbell fd ({@link IoUringSocketBatch#submitAndPark}). */
    static final long DOORBELL = CONTROL | 4;

    private UserData() {
    }

    static long registration(int fd, int seq) {
        return REGISTRATION | ((long) (seq & REGISTRATION_SEQ_MASK) << 32) | (fd & 0xFFFFFFFFL);
    }

    static boolean isRegistration(long data) {
        return (data & KIND_MASK) == REGISTRATION;
    }

    /** The fd of a registration's word. */
    static int fd(long data) {
        return (int) data;
    }

    /** The sequence number of a registration's word. */
    static int registrationSeq(long data) {
        return (int) (data >>> 32) & REGISTRATION_SEQ_MASK;
    }

    static long operation(int seq) {
        return OPERATION | (seq & 0xFFFFFFFFL);
    }

    static boolean isOperation(long data) {
        return (data & KIND_MASK) == OPERATION;
    }

    /** The sequence number of an operation's word. */
    static int operationSeq(long data) {
        return (int) data;
    }

    /** The loop's token for its registration table's {@code slot} in its {@code generation}. */
    public static long token(int slot, int generation) {
        return ((long) generation << 32) | (slot & 0xFFFFFFFFL);
    }

    /** The table slot a token names. */
    public static int tokenSlot(long token) {
        return (int) token;
    }
}
