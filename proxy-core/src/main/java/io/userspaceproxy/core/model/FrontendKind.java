package io.userspaceproxy.core.model;

/**
 * Which of a Service's addresses a listener serves. It decides which endpoint set applies (internal traffic
 * policy for {@link #CLUSTER_IP}, external traffic policy for the others) and whether source ranges apply
 * ({@link #LOAD_BALANCER} only).
 */
public enum FrontendKind {
    CLUSTER_IP,
    NODE_PORT,
    EXTERNAL_IP,
    LOAD_BALANCER;

    /** True for the addresses that external traffic policy governs. */
    public boolean isExternal() {
        return this != CLUSTER_IP;
    }
}
