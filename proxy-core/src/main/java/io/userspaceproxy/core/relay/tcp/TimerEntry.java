package io.userspaceproxy.core.relay.tcp;

import org.jspecify.annotations.Nullable;

/**
 * Something a {@link ConnectionTimer} watches, linked into one of its lists by fields of its own, so that watching a
 * connection or a connect attempt allocates nothing and leaving a list is O(1). Confined to one event loop.
 */
abstract class TimerEntry {

    @Nullable TimerEntry previous;
    @Nullable TimerEntry next;
    /** The list this entry is in, or {@code null}. */
    @Nullable TimerList list;
    /** For an idle entry, when it was last active; for a connect attempt, its deadline (ticker nanoseconds). */
    long stamp;

    /** Its time ran out; it has already left its list. Runs on the event loop, from the timer's sweep. */
    abstract void onTimeout();
}
