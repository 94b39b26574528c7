package io.userspaceproxy.core.listen;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import io.userspaceproxy.core.balance.EndpointOutliers;
import io.userspaceproxy.core.balance.OutlierTable;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active TCP health checks, one per endpoint of each service port that asks for them, from this node (not per
 * client): every interval a connect with the check's timeout, whose outcome goes to the service port's
 * {@link EndpointOutliers}, where picks see it. Each check starts at a random point of its first interval, so a
 * thousand endpoints are not checked in the same millisecond, and runs on the data plane's loops (a connect and a
 * close: no bytes). Kept in line with the table at each apply; control thread only, except the checks themselves.
 */
final class HealthChecker {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final EventLoopGroup group;
    private final Transport transport;
    private final OutlierTable outliers;
    private final ProxyCounters counters;
    /** The running checks, by service port and endpoint. */
    private final Map<ServicePortName, Map<Endpoint, ScheduledFuture<?>>> running = new HashMap<>();
    private final Map<ServicePortName, HealthCheck> configs = new HashMap<>();

    HealthChecker(EventLoopGroup group, Transport transport, OutlierTable outliers, ProxyCounters counters) {
        this.group = group;
        this.transport = transport;
        this.outliers = outliers;
        this.counters = counters;
    }

    /** Makes the checks of {@code servicePort} those its {@code routes} ask for: starts new ones, stops the rest. */
    void update(ServicePortName servicePort, List<Route> routes) {
        HealthCheck check = routes.isEmpty() ? HealthCheck.OFF : routes.get(0).healthCheck();
        if (!check.enabled() && !running.containsKey(servicePort)) {
            return; // nearly every service port of a sync: nothing to start, nothing to stop
        }
        Set<Endpoint> wanted = new HashSet<>();
        if (check.enabled()) {
            routes.forEach(r -> wanted.addAll(r.endpoints()));
        }
        Map<Endpoint, ScheduledFuture<?>> checks = running.computeIfAbsent(servicePort, s -> new HashMap<>());
        if (!check.equals(configs.get(servicePort))) {
            checks.values().forEach(f -> f.cancel(false)); // a new interval or timeout: start over
            checks.clear();
        }
        checks.entrySet().removeIf(e -> {
            boolean gone = !wanted.contains(e.getKey());
            if (gone) {
                e.getValue().cancel(false);
            }
            return gone;
        });
        if (!wanted.isEmpty()) {
            EndpointOutliers records = outliers.forServicePort(servicePort);
            ServicePortCounters portCounters = counters.forServicePort(servicePort);
            for (Endpoint endpoint : wanted) {
                checks.computeIfAbsent(endpoint, e -> start(e, check, records, portCounters));
            }
        }
        if (checks.isEmpty()) {
            running.remove(servicePort);
            configs.remove(servicePort);
        } else {
            configs.put(servicePort, check);
        }
    }

    private ScheduledFuture<?> start(Endpoint endpoint, HealthCheck check, EndpointOutliers records,
            ServicePortCounters portCounters) {
        long interval = check.interval().toNanos();
        long first = ThreadLocalRandom.current().nextLong(interval);
        return group.next().scheduleAtFixedRate(() -> probe(endpoint, check, records, portCounters), first, interval,
                TimeUnit.NANOSECONDS);
    }

    private void probe(Endpoint endpoint, HealthCheck check, EndpointOutliers records,
            ServicePortCounters portCounters) {
        Bootstrap bootstrap = new Bootstrap()
                .group(group.next())
                .channelFactory(() -> transport.backendChannelFactory().newChannel(endpoint.address()))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, check.timeout().toMillis()))
                .handler(new ChannelInboundHandlerAdapter());
        ChannelFuture connect = bootstrap.connect(endpoint.address());
        connect.addListener(f -> {
            connect.channel().close();
            boolean changed = records.onHealthCheck(endpoint, f.isSuccess(), check);
            if (!f.isSuccess()) {
                portCounters.onHealthCheckFailed(changed);
            }
            if (changed) {
                log.info("health check of endpoint {}: {}", endpoint,
                        f.isSuccess() ? "healthy again" : "unhealthy (" + f.cause() + ")");
            }
        });
    }

    /** Stops every check (the event loops are shutting down anyway). */
    void close() {
        running.values().forEach(m -> m.values().forEach(f -> f.cancel(false)));
        running.clear();
        configs.clear();
    }
}
