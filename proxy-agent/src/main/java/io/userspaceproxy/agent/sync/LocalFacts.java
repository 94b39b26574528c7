package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What the health-check servers and the no-local-endpoints gauge need, kept per Service from one sync to the next so
 * that a sync recomputes only the Services it was handed ({@link LocalEndpoints} has the rules). Not thread-safe:
 * the sync thread owns it.
 */
public final class LocalFacts {

    /** One Service's part: its health check port (0: none), its ready endpoints here, and its Local policies. */
    private record Fact(int healthCheckNodePort, int readyOnNode, boolean internalLocal, boolean externalLocal) {

        boolean noLocalEndpoints() {
            return (internalLocal || externalLocal) && readyOnNode == 0;
        }
    }

    private final Map<ObjectRef, Fact> facts = new HashMap<>();
    private final Map<ObjectRef, Integer> healthCheckNodePorts = new TreeMap<>();
    private long noLocalInternal;
    private long noLocalExternal;

    /** Forgets everything and takes every Service of {@code state}: a full sync. */
    void replaceAll(ClusterState state, String nodeName) {
        facts.clear();
        healthCheckNodePorts.clear();
        noLocalInternal = 0;
        noLocalExternal = 0;
        state.services().forEach((ref, s) -> put(ref, s, state.slicesOf(ref), nodeName));
    }

    /** Takes the Services of {@code changes} alone: a partial sync. */
    void apply(ClusterChanges changes, String nodeName) {
        changes.services().forEach((ref, now) -> put(ref, now.service(), now.slices(), nodeName));
    }

    private void put(ObjectRef ref, @Nullable ServiceInfo service, List<EndpointSliceInfo> slices, String nodeName) {
        Fact old = facts.remove(ref);
        if (old != null) {
            count(old, -1);
            healthCheckNodePorts.remove(ref);
        }
        if (service == null) {
            return;
        }
        int port = LocalEndpoints.healthCheckNodePort(service);
        boolean internal = LocalEndpoints.internalLocal(service);
        boolean external = LocalEndpoints.externalLocal(service);
        if (port == 0 && !internal && !external) {
            return; // the common case: nothing about this Service depends on where its endpoints run
        }
        Fact fact = new Fact(port, LocalEndpoints.countReadyOnNode(slices, nodeName), internal, external);
        facts.put(ref, fact);
        count(fact, 1);
        if (port > 0) {
            healthCheckNodePorts.put(ref, port);
        }
    }

    private void count(Fact f, int sign) {
        if (f.noLocalEndpoints()) {
            noLocalInternal += f.internalLocal() ? sign : 0;
            noLocalExternal += f.externalLocal() ? sign : 0;
        }
    }

    /** The Services that need a health check server, with its port (see {@link LocalEndpoints}). */
    public Map<ObjectRef, Integer> healthCheckNodePorts() {
        return Collections.unmodifiableMap(healthCheckNodePorts);
    }

    /** For each Service of {@link #healthCheckNodePorts()}, its ready endpoints on this node. */
    public Map<ObjectRef, Integer> readyOnNode() {
        Map<ObjectRef, Integer> out = new TreeMap<>();
        // put() keeps a health check port only beside its Service's fact.
        healthCheckNodePorts.keySet().forEach(ref -> out.put(ref,
                Objects.requireNonNull(facts.get(ref), "a port without its fact").readyOnNode()));
        return out;
    }

    /** kube-proxy's {@code sync_proxy_rules_no_local_endpoints_total}, per policy (see {@link LocalEndpoints}). */
    public LocalEndpoints.NoLocalEndpoints noLocalEndpoints() {
        return new LocalEndpoints.NoLocalEndpoints(noLocalInternal, noLocalExternal);
    }
}
