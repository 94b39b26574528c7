package io.userspaceproxy.core.relay.tcp;

import org.jspecify.annotations.Nullable;

/** A doubly linked list of {@link TimerEntry}s through their own fields: O(1) append and remove, no allocation. */
final class TimerList {

    @Nullable TimerEntry head;
    @Nullable TimerEntry tail;

    boolean contains(TimerEntry entry) {
        return entry.list == this;
    }

    void append(TimerEntry entry) {
        entry.list = this;
        entry.previous = tail;
        entry.next = null;
        if (tail == null) {
            head = entry;
        } else {
            tail.next = entry;
        }
        tail = entry;
    }

    /** Removes {@code entry} if it is in this list. */
    void remove(TimerEntry entry) {
        if (entry.list != this) {
            return;
        }
        if (entry.previous == null) {
            head = entry.next;
        } else {
            entry.previous.next = entry.next;
        }
        if (entry.next == null) {
            tail = entry.previous;
        } else {
            entry.next.previous = entry.previous;
        }
        entry.previous = null;
        entry.next = null;
        entry.list = null;
    }

    /** Moves {@code entry}, which is in this list, to its tail. */
    void moveToTail(TimerEntry entry) {
        if (tail != entry) {
            remove(entry);
            append(entry);
        }
    }
}
