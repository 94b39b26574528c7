package io.userspaceproxy.core.metrics;

import io.userspaceproxy.core.model.ServicePortName;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every counter of the data plane: one {@link ServicePortCounters} per service port, looked up at sync time only
 * (the hot path holds the bound instance), plus the listener-level counters. The agent's metrics exporter reads
 * these on scrape; the label set is bounded by the number of service ports, never by clients.
 */
public final class ProxyCounters {

    private final Map<ServicePortName, ServicePortCounters> byServicePort = new ConcurrentHashMap<>();
    private final LongAdder bindFailures = new LongAdder();
    private final LongAdder listenerConflicts = new LongAdder();

    /** The counters of {@code servicePort}, created on first use. Call at sync time, not per connection. */
    public ServicePortCounters forServicePort(ServicePortName servicePort) {
        return byServicePort.computeIfAbsent(servicePort, k -> new ServicePortCounters());
    }

    /** Forgets service ports that are gone, once their last connection and flow have ended. */
    public void retain(Set<ServicePortName> live) {
        byServicePort.entrySet().removeIf(e -> !live.contains(e.getKey())
                && e.getValue().connectionsActive() == 0
                && e.getValue().udpFlowsActive() == 0);
    }

    public Map<ServicePortName, ServicePortCounters> servicePorts() {
        return Collections.unmodifiableMap(byServicePort);
    }

    public Collection<ServicePortCounters> all() {
        return Collections.unmodifiableCollection(byServicePort.values());
    }

    public void onBindFailure() {
        bindFailures.increment();
    }

    public void onListenerConflict() {
        listenerConflicts.increment();
    }

    public long bindFailures() {
        return bindFailures.sum();
    }

    public long listenerConflicts() {
        return listenerConflicts.sum();
    }
}
