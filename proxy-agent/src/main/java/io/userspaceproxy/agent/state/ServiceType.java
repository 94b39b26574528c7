package io.userspaceproxy.agent.state;

/** {@code spec.type} of a Service. It decides which frontends (listeners) a Service gets besides its ClusterIPs. */
public enum ServiceType {
    CLUSTER_IP("ClusterIP"),
    NODE_PORT("NodePort"),
    LOAD_BALANCER("LoadBalancer"),
    EXTERNAL_NAME("ExternalName");

    private final String apiName;

    ServiceType(String apiName) {
        this.apiName = apiName;
    }

    /** The spelling the Kubernetes API uses, e.g. {@code NodePort}. */
    public String apiName() {
        return apiName;
    }

    /** True for the types that open a node port on every node ({@code NodePort} and {@code LoadBalancer}). */
    public boolean hasNodePorts() {
        return this == NODE_PORT || this == LOAD_BALANCER;
    }
}
