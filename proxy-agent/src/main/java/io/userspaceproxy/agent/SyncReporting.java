package io.userspaceproxy.agent;

import io.userspaceproxy.agent.health.SyncHealth;
import io.userspaceproxy.agent.metrics.ProxyMetricsExporter;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.LocalEndpoints;
import io.userspaceproxy.agent.sync.LocalFacts;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.agent.sync.Proxier;
import java.time.Duration;
import java.time.Instant;

/**
 * What follows every sync, whatever it did: health, metrics, the health-check servers' answers and the node's
 * eligibility, from the sync's report and the facts it kept. Costs what the sync changed (the facts are kept
 * incrementally); runs on the sync thread.
 */
record SyncReporting(SyncHealth health, ProxyMetricsExporter metrics, NodeNetwork network, NodeTracker node,
        ChangeTracker tracker) {

    /** A sync that started at {@code started} ended with {@code report}; {@code local} are its kept facts. */
    void synced(Instant started, Proxier.SyncReport report, LocalFacts local) {
        health.onSynced(started);
        metrics.onSync(report.took(), Instant.now(), report.full());
        report.networkProgrammingLatencies().forEach(metrics::onNetworkProgrammingLatency);
        if (!report.addressesSynced()) {
            metrics.onServiceAddressFailure();
        }
        network.afterSync(local.healthCheckNodePorts(), local.readyOnNode());
        LocalEndpoints.NoLocalEndpoints noLocal = local.noLocalEndpoints();
        metrics.setNoLocalEndpoints(noLocal.internal(), noLocal.external());
        node.current().ifPresent(n -> health.setNodeEligible(
                SyncHealth.isNodeEligible(n.beingDeleted(), n.taintKeys())));
        metrics.onServiceChanges(report.changedServices());
        metrics.onEndpointChanges(report.changedEndpointSlices());
        metrics.setPendingChanges(tracker.pendingServiceChanges(), tracker.pendingEndpointChanges());
    }

    /** A sync that started at {@code started} threw. */
    void failed(Instant started, boolean full) {
        metrics.onSyncFailed(Duration.between(started, Instant.now()), full);
    }
}
