package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.NodeInfo;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The last known state of the node the proxy runs on, from its {@code v1/Node} informer. The sync reads the zone
 * (topology hints) and the node's own addresses (which are never taken over as Service addresses) from here.
 *
 * <p>Thread-safe and lock-free: the informer thread reports, the sync thread and HTTP threads read. The change
 * listener runs on the reporting thread when what the proxy uses changed; like the {@link ChangeTracker}'s, it
 * must only wake the sync loop. A node that is not (or no longer) known reads as empty: no zone, no addresses.
 */
public final class NodeTracker {

    private static final Runnable NO_LISTENER = () -> { };

    private final AtomicReference<NodeInfo> node = new AtomicReference<>();
    private volatile Runnable changeListener = NO_LISTENER;

    /** Sets what runs when the node changes; replaces any previous listener. */
    public void setChangeListener(Runnable listener) {
        changeListener = Objects.requireNonNull(listener, "listener");
    }

    public void onNodeUpserted(NodeInfo info) {
        Objects.requireNonNull(info, "info");
        if (!info.equals(node.getAndSet(info))) {
            changeListener.run();
        }
    }

    public void onNodeDeleted() {
        if (node.getAndSet(null) != null) {
            changeListener.run();
        }
    }

    /** The node as last reported; empty before the informer has seen it, and after it was deleted. */
    public Optional<NodeInfo> current() {
        return Optional.ofNullable(node.get());
    }

    /** This node's {@code topology.kubernetes.io/zone}, or null when unknown. */
    public @Nullable String zone() {
        NodeInfo n = node.get();
        return n == null ? null : n.zone();
    }
}
