package io.userspaceproxy.core.listen;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.table.TableDiff;
import java.util.Map;
import java.util.Set;

/**
 * What one {@link ListenerSet#apply} did to the sockets. The table itself is always applied; this reports the
 * listeners, so the caller can count, log and decide on health.
 *
 * @param diff         how the new table differs from the previous one
 * @param bound        listeners bound by this apply (new keys, and keys whose earlier bind had failed)
 * @param bindFailures listeners that could not be bound, with the cause; each is tried again on the next apply
 * @param closed       listeners closed because their key left the table (their connections continue)
 * @param skipped      keys in the table that this apply did not try to bind: every key after
 *                     {@link ListenerSet#stopAccepting()}
 */
public record ApplyResult(
        TableDiff diff,
        Set<ListenerKey> bound,
        Map<ListenerKey, Throwable> bindFailures,
        Set<ListenerKey> closed,
        Set<ListenerKey> skipped) {

    public ApplyResult {
        bound = Set.copyOf(bound);
        bindFailures = Map.copyOf(bindFailures);
        closed = Set.copyOf(closed);
        skipped = Set.copyOf(skipped);
    }

    /** True when every key of the table has a listener. */
    public boolean isComplete() {
        return bindFailures.isEmpty() && skipped.isEmpty();
    }
}
