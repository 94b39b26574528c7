package io.userspaceproxy.core.relay;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.ToLongFunction;

/**
 * Picks the oldest few of a live, concurrently changing collection in one pass: the page of a connection view. A
 * node may hold a hundred thousand connections and the operator asks for a thousand, so this keeps a heap of at
 * most {@code limit} entries (O(n log limit) time, O(limit) memory) rather than copying and sorting everything.
 */
public final class OldestFirst {

    private OldestFirst() {
    }

    /**
     * The at most {@code limit} entries of {@code live} with the earliest {@code openedNanos}, oldest first.
     *
     * @param live        iterated once; a weakly consistent view of a concurrent set is fine
     * @param openedNanos a {@link System#nanoTime()}-style timestamp that must not change while this runs (set
     *                    before the entry was published); compared by subtraction, so wrap-around is harmless
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    public static <T> List<T> select(Iterable<T> live, int limit, ToLongFunction<? super T> openedNanos) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: >= 0)");
        }
        if (limit == 0) {
            return List.of();
        }
        // The heap's head is the youngest entry kept: the one to drop when an older one turns up.
        Comparator<T> youngestFirst =
                (a, b) -> Long.signum(openedNanos.applyAsLong(b) - openedNanos.applyAsLong(a));
        PriorityQueue<T> kept = new PriorityQueue<>(Math.min(limit, 1024), youngestFirst);
        for (T entry : live) {
            if (kept.size() < limit) {
                kept.add(entry);
            } else if (youngestFirst.compare(entry, kept.peek()) > 0) {
                kept.poll();
                kept.add(entry);
            }
        }
        List<T> oldestFirst = new ArrayList<>(kept);
        oldestFirst.sort(youngestFirst.reversed());
        return oldestFirst;
    }
}
