package io.userspaceproxy.agent.watch.api;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.agent.watch.convert.KubernetesObjects;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the informer of this node's own {@code v1/Node} into the {@link NodeTracker}. Logs the zone when it is
 * first seen or changes, since topology-aware routing depends on it. Never blocks; fabric8 calls it serially.
 */
final class NodeHandler implements ResourceEventHandler<Node> {

    private static final Logger log = LoggerFactory.getLogger(NodeHandler.class);

    private final NodeTracker tracker;

    NodeHandler(NodeTracker tracker) {
        this.tracker = tracker;
    }

    @Override
    public void onAdd(Node node) {
        report(node);
    }

    @Override
    public void onUpdate(Node old, Node node) {
        report(node);
    }

    @Override
    public void onDelete(Node node, boolean unknownFinalState) {
        log.warn("Node {} was deleted; serving without a zone (topology hints off)", node.getMetadata().getName());
        tracker.onNodeDeleted();
    }

    private void report(Node node) {
        NodeInfo info;
        try {
            info = KubernetesObjects.node(node);
        } catch (RuntimeException e) {
            log.error("Node could not be read; keeping what was known", e);
            return;
        }
        boolean first = tracker.current().isEmpty();
        String before = tracker.zone();
        tracker.onNodeUpserted(info);
        if (first || !Objects.equals(before, info.zone())) {
            log.info("Node {}: zone {}, addresses {}", info.name(), info.zone() == null ? "(none)" : info.zone(),
                    info.addresses());
        }
    }
}
