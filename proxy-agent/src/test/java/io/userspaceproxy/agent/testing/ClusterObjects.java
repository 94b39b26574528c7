package io.userspaceproxy.agent.testing;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.List;

/**
 * Services, EndpointSlices and Nodes as the API server holds them, for tests that drive the agent through fabric8's
 * mock server. Every Service port is TCP and named {@code http} unless a test builds its own.
 */
public final class ClusterObjects {

    /** The node the agents of these tests run as ({@code --hostname-override}). */
    public static final String NODE = "node-a";

    private ClusterObjects() {
    }

    /** A ClusterIP Service with one TCP port named {@code http}. */
    public static ServiceBuilder service(String namespace, String name, String clusterIp, int port) {
        return new ServiceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP(clusterIp).withClusterIPs(clusterIp)
                .addNewPort().withName("http").withProtocol("TCP").withPort(port).withNewTargetPort(port).endPort()
                .endSpec();
    }

    /** An IPv4 slice of {@code service} whose endpoints listen on {@code port} (port name {@code http}). */
    public static EndpointSliceBuilder slice(String namespace, String name, String service, int port,
            Endpoint... endpoints) {
        return new EndpointSliceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withProtocol("TCP").withPort(port).endPort()
                .withEndpoints(List.of(endpoints));
    }

    /** A ready endpoint on {@code node}. */
    public static Endpoint ready(String ip, String node) {
        return endpoint(ip, node, true, true, false).build();
    }

    /** An endpoint with explicit conditions. */
    public static EndpointBuilder endpoint(String ip, String node, Boolean ready, Boolean serving, Boolean terminating) {
        return new EndpointBuilder().withAddresses(ip).withNodeName(node)
                .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions();
    }

    /** A Node with an InternalIP and, when not null, a zone label. */
    public static Node node(String name, String internalIp, String zone) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress().endStatus();
        if (zone != null) {
            b.editMetadata().addToLabels("topology.kubernetes.io/zone", zone).endMetadata();
        }
        return b.build();
    }

    /** The single-slice view of one endpoint; keeps call sites short. */
    public static EndpointSlice sliceOf(String namespace, String name, String service, int port, Endpoint endpoint) {
        return slice(namespace, name, service, port, endpoint).build();
    }
}
