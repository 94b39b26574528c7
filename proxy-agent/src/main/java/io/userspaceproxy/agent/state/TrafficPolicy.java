package io.userspaceproxy.agent.state;

/**
 * {@code spec.internalTrafficPolicy} / {@code spec.externalTrafficPolicy}: {@link #LOCAL} restricts the
 * endpoints to those on this node; {@link #CLUSTER} (the default) uses every usable endpoint.
 */
public enum TrafficPolicy {
    CLUSTER("Cluster"),
    LOCAL("Local");

    private final String apiName;

    TrafficPolicy(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }
}
