package dev.userpoll.transport;

import dev.userpoll.transport.ring.UserData;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A loop's registrations by token ({@link UserData#token}: slot and generation), so that the ring source hands back
 * a number, never an object, and an event for a slot that was freed and reused since is recognised as stale.
 * Slots are reused from a free list; the table only grows. Loop thread only; never allocates per event.
 */
final class SlotTable<T> {
    private Object[] entries = new Object[64];
    private long[] tokens = new long[64];
    private int[] generations = new int[64];
    private int[] freeSlots = new int[64];
    private int freeCount;
    private int limit;

    /** Puts {@code entry} in a free slot and returns its token. */
    long add(T entry) {
        int slot = freeCount > 0 ? freeSlots[--freeCount] : newSlot();
        long token = UserData.token(slot, generations[slot]);
        entries[slot] = entry;
        tokens[slot] = token;
        return token;
    }

    /** The entry of {@code token}, or null when its slot was freed (and perhaps reused) since. */
    @SuppressWarnings("unchecked")
    T get(long token) {
        int slot = UserData.tokenSlot(token);
        if (slot < 0 || slot >= limit || tokens[slot] != token) {
            return null;
        }
        return (T) entries[slot];
    }

    /** Frees the slot of {@code token} if it still holds {@code entry}; returns whether it did. */
    boolean remove(long token, T entry) {
        int slot = UserData.tokenSlot(token);
        if (slot < 0 || slot >= limit || entries[slot] != entry || tokens[slot] != token) {
            return false;
        }
        entries[slot] = null;
        tokens[slot] = -1; // no token is -1: the generation would have to be -1 and the slot too
        generations[slot]++;
        freeSlots[freeCount++] = slot;
        return true;
    }

    /** Entries held now. */
    int size() {
        return limit - freeCount;
    }

    /** Calls {@code action} for every entry held now (it may remove entries as it goes). */
    @SuppressWarnings("unchecked")
    void forEach(Consumer<T> action) {
        for (int i = 0; i < limit; i++) {
            Object entry = entries[i];
            if (entry != null) {
                action.accept((T) entry);
            }
        }
    }

    private int newSlot() {
        if (limit == entries.length) {
            int n = entries.length * 2;
            entries = Arrays.copyOf(entries, n);
            tokens = Arrays.copyOf(tokens, n);
            generations = Arrays.copyOf(generations, n);
            freeSlots = Arrays.copyOf(freeSlots, n);
        }
        return limit++;
    }
}
