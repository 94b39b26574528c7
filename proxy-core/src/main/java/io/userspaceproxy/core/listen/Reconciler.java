package io.userspaceproxy.core.listen;

import io.netty.channel.ChannelFuture;
import io.userspaceproxy.core.balance.AffinityTable;
import io.userspaceproxy.core.balance.OutlierTable;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.tcp.TcpConnectionTable;
import io.userspaceproxy.core.relay.udp.UdpFlowTable;
import io.userspaceproxy.core.table.LiveRoute;
import io.userspaceproxy.core.table.RouteSlot;
import io.userspaceproxy.core.table.RouteTable;
import io.userspaceproxy.core.table.TableDiff;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link RouteChanges} into what the sockets must do, touching only what it names: publishes each changed
 * route into its listener's slot, sweeps the UDP flows and affinity memory of the service ports it changed, closes the
 * listeners of removed keys, binds listeners for new keys (and retries the keys whose bind failed before) or adopts
 * the sockets an old agent handed over for them, closes inherited sockets that no key took, and lets the counters
 * of service ports that left go once they are idle. Nothing here walks every listener.
 *
 * <p>Confined to the control thread (the {@link ListenerSet} serializes calls).
 */
final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    private final RouteTable table;
    private final ListenerSockets sockets;
    private final UdpFlowTable udpFlows;
    private final AffinityTable affinities;
    private final OutlierTable outliers;
    private final TcpConnectionTable tcpConnections;
    private final HealthChecker healthChecks;
    private final ProxyCounters counters;
    private final Duration bindTimeout;
    /**
     * Keys in the table without a listener: their bind failed, or came after {@link #stopAccepting()}. Replaced
     * when emptied: a cleared HashSet keeps the capacity of the start-up's 10,000 binds, and every apply walks it.
     */
    private Set<ListenerKey> unbound = new HashSet<>();
    /** The last bind error logged per key, so that a listener failing the same way at every retry warns once. */
    private final Map<ListenerKey, String> reportedBindFailures = new HashMap<>();
    private boolean accepting = true;

    Reconciler(RouteTable table, ListenerSockets sockets, UdpFlowTable udpFlows, AffinityTable affinities,
            OutlierTable outliers, TcpConnectionTable tcpConnections, ProxyCounters counters, Duration bindTimeout) {
        this.table = table;
        this.sockets = sockets;
        this.udpFlows = udpFlows;
        this.affinities = affinities;
        this.outliers = outliers;
        this.tcpConnections = tcpConnections;
        this.healthChecks = new HealthChecker(sockets.group(), sockets.transport(), outliers, counters);
        this.counters = counters;
        this.bindTimeout = bindTimeout;
    }

    ApplyResult apply(RouteChanges changes) {
        // Publish before touching sockets: a listener bound below serves the new route from its first connection,
        // and one about to close already refuses new clients instead of sending them to endpoints that are gone.
        TableDiff diff = table.apply(changes);
        List<ServicePortName> gone = updateServicePorts(diff);
        unbound.removeAll(diff.removed());
        reportedBindFailures.keySet().removeAll(diff.removed());
        List<ListenerKey> closed = sockets.close(diff.removed());
        for (ListenerKey key : closed) {
            log.debug("stopped listening on {}", key);
        }
        unbound.addAll(diff.added());
        Set<ListenerKey> bound = new HashSet<>();
        Map<ListenerKey, Throwable> failures = new HashMap<>();
        Set<ListenerKey> skipped = accepting ? Set.of() : Set.copyOf(unbound);
        if (accepting) {
            bindUnbound(bound, failures);
            if (unbound.isEmpty()) {
                unbound = new HashSet<>();
            }
        }
        List<ListenerKey> unwanted = sockets.closeInherited();
        if (!unwanted.isEmpty()) {
            log.info("closed the inherited sockets of {} key(s) this agent does not serve: {}", unwanted.size(),
                    unwanted);
        }
        counters.retire(gone, table::hasServicePort);
        return new ApplyResult(diff, bound, failures, new HashSet<>(closed), skipped);
    }

    /**
     * Brings what the changed service ports keep beside their routes in line with them: UDP flows, affinity,
     * outlier and health-check state, connections to endpoints that left, held connections. Returns the service
     * ports that have no route left.
     */
    private List<ServicePortName> updateServicePorts(TableDiff diff) {
        // Flows to endpoints that left, and affinity to endpoints or services that left, end now (the next datagram
        // or connection is balanced afresh), as kube-proxy's conntrack cleanup does for UDP.
        udpFlows.onRoutesChanged(diff.routeChanged());
        udpFlows.onRoutesChanged(diff.removed());
        List<ServicePortName> gone = new ArrayList<>();
        Set<ServicePortName> removalPolicies = new HashSet<>();
        for (ServicePortName servicePort : diff.servicePorts()) {
            List<Route> routes = table.routesOf(servicePort);
            affinities.retain(servicePort, routes);
            outliers.retain(servicePort, routes);
            healthChecks.update(servicePort, routes);
            if (closesOnRemoval(routes)) {
                removalPolicies.add(servicePort);
            }
            if (!table.hasServicePort(servicePort)) {
                gone.add(servicePort);
            }
        }
        if (!removalPolicies.isEmpty()) {
            tcpConnections.onEndpointsChanged(removalPolicies); // connections to endpoints that left: close or drain
        }
        tcpConnections.held().onRoutesChanged(diff.servicePorts()); // held for want of an endpoint: go now if one came
        return gone;
    }

    /** From now on keys get no listener; the ones that had one are closed by the caller. */
    private static boolean closesOnRemoval(List<Route> routes) {
        for (Route route : routes) {
            if (route.lifecycle().onRemoval() != ConnectionLifecycle.Removal.KEEP) {
                return true;
            }
        }
        return false;
    }

    void stopAccepting() {
        accepting = false;
        tcpConnections.held().resetAll();
        healthChecks.close();
        unbound.addAll(sockets.keys());
    }

    private void bindUnbound(Set<ListenerKey> bound, Map<ListenerKey, Throwable> failures) {
        Map<ListenerKey, List<ChannelFuture>> binding = new LinkedHashMap<>();
        int following = unbound.size();
        for (ListenerKey key : unbound) {
            RouteSlot slot = Objects.requireNonNull(table.slot(key), "an unbound key is in the table");
            binding.put(key, sockets.bind(key, slot, --following));
        }
        long deadline = System.nanoTime() + bindTimeout.toNanos();
        for (Map.Entry<ListenerKey, List<ChannelFuture>> e : binding.entrySet()) {
            ListenerKey key = e.getKey();
            Throwable cause = awaitAll(e.getValue(), deadline);
            if (cause == null) {
                sockets.bound(key, e.getValue());
                bound.add(key);
                unbound.remove(key);
                reportedBindFailures.remove(key);
                log.debug("listening on {} for {}", key, servicePortOf(key));
            } else {
                sockets.failed(e.getValue());
                counters.onBindFailure();
                failures.put(key, cause);
                reportBindFailure(key, cause);
            }
        }
    }

    private void reportBindFailure(ListenerKey key, Throwable cause) {
        String reason = cause.getMessage() != null ? cause.getMessage() : cause.toString();
        if (!reason.equals(reportedBindFailures.put(key, reason))) {
            log.warn("cannot listen on {} for {}: {} (retrying at every sync)", key, servicePortOf(key), reason);
        } else {
            log.debug("still cannot listen on {} for {}: {}", key, servicePortOf(key), reason);
        }
    }

    /** Waits for every bind of one key; the first failure, a timeout, or {@code null} when all succeeded. */
    private @Nullable Throwable awaitAll(List<ChannelFuture> binds, long deadline) {
        for (ChannelFuture f : binds) {
            boolean done = f.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (!done) {
                return new TimeoutException("bind did not complete within " + bindTimeout);
            }
            if (!f.isSuccess()) {
                return f.cause();
            }
        }
        return null;
    }

    private @Nullable ServicePortName servicePortOf(ListenerKey key) {
        LiveRoute route = table.lookup(key);
        return route == null ? null : route.route().servicePort();
    }
}
