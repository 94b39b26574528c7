package io.userspaceproxy.agent.health;

/**
 * The two probes kube-proxy answers on its health port. Both fail when a change has waited too long for a sync;
 * only readiness also fails when the node is leaving the cluster, so that the kubelet does not restart a proxy
 * that is merely being drained.
 */
public enum Probe {
    /** {@code /healthz}: readiness, and the health check cloud load balancers send to node ports. */
    HEALTHZ,
    /** {@code /livez}: liveness; ignores node eligibility. */
    LIVEZ
}
