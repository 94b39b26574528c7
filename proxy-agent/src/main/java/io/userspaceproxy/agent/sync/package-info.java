/**
 * From cluster state to data plane: {@link io.userspaceproxy.agent.sync.ChangeTracker} coalesces Service and
 * EndpointSlice events from any source, and {@link io.userspaceproxy.agent.sync.SnapshotBuilder} turns a checked
 * out {@link io.userspaceproxy.agent.sync.ClusterState} into the core's {@code RouteSnapshot} with kube-proxy's
 * rules (readiness, traffic policy, topology, conflicts).
 */
@NullMarked
package io.userspaceproxy.agent.sync;

import org.jspecify.annotations.NullMarked;
