package io.userspaceproxy.agent.sync;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the snapshot builder needs to know about the node it runs on.
 *
 * @param nodeName          this node's name, compared with endpoints' {@code nodeName} for traffic policy Local
 * @param zone              nullable: this node's {@code topology.kubernetes.io/zone}; null disables topology hints
 * @param nodePortAddresses the local addresses NodePorts listen on: the node's addresses inside the
 *                          {@code --nodeport-addresses} CIDRs, computed by the caller
 */
public record NodeContext(String nodeName, @Nullable String zone, List<InetAddress> nodePortAddresses) {

    public NodeContext {
        Objects.requireNonNull(nodeName, "nodeName");
        nodePortAddresses = List.copyOf(nodePortAddresses);
    }
}
