package io.userspaceproxy.core.metrics;

import io.userspaceproxy.core.model.ServicePortName;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Every counter of the data plane: one {@link ServicePortCounters} per service port, looked up at sync time only
 * (the hot path holds the bound instance), plus the listener-level counters. The agent's metrics exporter reads
 * these on scrape; the label set is bounded by the number of service ports, never by clients.
 */
public final class ProxyCounters {

    private final Map<ServicePortName, ServicePortCounters> byServicePort = new ConcurrentHashMap<>();
    /** Service ports that left the table with connections or flows still open; see {@link #retire}. */
    private final Set<ServicePortName> retiring = ConcurrentHashMap.newKeySet();
    private final LongAdder bindFailures = new LongAdder();
    private final LongAdder listenerConflicts = new LongAdder();
    private final LongAdder acceptErrors = new LongAdder();
    private final LongAdder handoverFailures = new LongAdder();

    /** The counters of {@code servicePort}, created on first use. Call at sync time, not per connection. */
    public ServicePortCounters forServicePort(ServicePortName servicePort) {
        return byServicePort.computeIfAbsent(servicePort, k -> new ServicePortCounters());
    }

    /** Forgets service ports that are gone, once their last connection and flow have ended. Linear; for tests. */
    public void retain(Set<ServicePortName> live) {
        byServicePort.entrySet().removeIf(e -> !live.contains(e.getKey()) && idle(e.getValue()));
    }

    /**
     * Forgets the counters of service ports that left the table, each once its last connection and flow has ended:
     * {@code gone} joins the service ports already waiting for that, and every waiting one that is served again
     * ({@code served}) or idle now leaves the wait. Costs the service ports named plus those still waiting, never a
     * walk over every service port; call it after every change of the table.
     */
    public void retire(Collection<ServicePortName> gone, Predicate<ServicePortName> served) {
        retiring.addAll(gone);
        retiring.removeIf(servicePort -> {
            if (served.test(servicePort)) {
                return true;
            }
            ServicePortCounters c = byServicePort.get(servicePort);
            if (c == null || idle(c)) {
                byServicePort.remove(servicePort);
                return true;
            }
            return false;
        });
    }

    private static boolean idle(ServicePortCounters c) {
        return c.connectionsActive() == 0 && c.udpFlowsActive() == 0;
    }

    /** Whether a service port of Service {@code namespace/name} holds a connection or UDP client now: a scan. */
    public boolean anyHeld(String namespace, String name) {
        for (Map.Entry<ServicePortName, ServicePortCounters> e : byServicePort.entrySet()) {
            ServicePortName sp = e.getKey();
            if (sp.name().equals(name) && sp.namespace().equals(namespace) && e.getValue().held() > 0) {
                return true;
            }
        }
        return false;
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

    /**
     * An upgrade hand-over of the listening sockets did not complete (the agent bound beside its predecessor
     * instead), or a successor could not be offered one.
     */
    public void onHandoverFailure() {
        handoverFailures.increment();
    }

    public long handoverFailures() {
        return handoverFailures.sum();
    }

    public long bindFailures() {
        return bindFailures.sum();
    }

    /** A listener's {@code accept} failed (out of descriptors, typically). */
    public void onAcceptError() {
        acceptErrors.increment();
    }

    public long acceptErrors() {
        return acceptErrors.sum();
    }

    public long listenerConflicts() {
        return listenerConflicts.sum();
    }
}
