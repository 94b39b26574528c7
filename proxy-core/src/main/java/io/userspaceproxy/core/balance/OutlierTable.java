package io.userspaceproxy.core.balance;

import com.github.benmanes.caffeine.cache.Scheduler;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The outlier records of every service port, with the clock they are judged by. Kept in line with the published
 * table through {@link #retain}, as the affinity memory is: a service port's records go when it does, an endpoint's
 * when it leaves every route of its service port.
 */
public final class OutlierTable {

    private final Map<ServicePortName, EndpointOutliers> byServicePort = new ConcurrentHashMap<>();
    private final LongSupplier ticker;
    private final Scheduler scheduler;

    private OutlierTable(LongSupplier ticker, Scheduler scheduler) {
        this.ticker = ticker;
        this.scheduler = scheduler;
    }

    /** A table on {@link System#nanoTime()}, whose ejections end on the JVM's shared timer thread. */
    public static OutlierTable create() {
        return new OutlierTable(System::nanoTime, Scheduler.systemScheduler());
    }

    /**
     * A table on {@code ticker}'s clock ({@link System#nanoTime()} scale) whose ejections end when {@code scheduler}
     * runs their timers, for tests that move the time themselves.
     */
    public static OutlierTable withClock(LongSupplier ticker, Scheduler scheduler) {
        return new OutlierTable(Objects.requireNonNull(ticker, "ticker"),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    /** The records of {@code servicePort}, made on first use. At sync time, not per connection. */
    public EndpointOutliers forServicePort(ServicePortName servicePort) {
        return byServicePort.computeIfAbsent(servicePort, s -> new EndpointOutliers(ticker, scheduler));
    }

    /** Every service port that has records, with them; for the per-endpoint view. */
    public void forEach(BiConsumer<ServicePortName, EndpointOutliers> action) {
        byServicePort.forEach(action);
    }

    /** Keeps the records of {@code servicePort}'s endpoints that are still in one of {@code routes}. */
    public void retain(ServicePortName servicePort, Collection<Route> routes) {
        EndpointOutliers outliers = byServicePort.get(servicePort);
        if (outliers == null) {
            return;
        }
        if (routes.isEmpty()) {
            byServicePort.remove(servicePort);
            return;
        }
        Set<Endpoint> kept = new HashSet<>();
        routes.forEach(r -> kept.addAll(r.endpoints()));
        outliers.retain(kept);
    }
}
