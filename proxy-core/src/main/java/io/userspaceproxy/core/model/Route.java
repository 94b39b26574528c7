package io.userspaceproxy.core.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What one listener relays to: the service port it belongs to, which of the Service's addresses it serves,
 * the usable endpoints (already filtered by readiness, traffic policy and topology by the control plane, in a
 * stable order), and the per-service options. Immutable; built off the event loop.
 *
 * @param servicePort    the service port this listener serves
 * @param frontend       which kind of Service address the listener is bound on
 * @param endpoints      usable endpoints, in the order round-robin walks them; empty means refuse
 * @param affinity       session affinity
 * @param udpIdleTimeout how long a UDP flow may carry nothing before it expires (ignored for TCP)
 * @param sourceRanges   client prefixes allowed in; empty allows every client
 * @param proxyProtocol  the PROXY protocol header sent to backends and required from trusted clients (TCP only)
 * @param outlierDetection when an endpoint whose connects fail is left out of picks (TCP connects only)
 * @param lifecycle      what ends a TCP connection early: its endpoint's removal, its age
 * @param algorithm      how an endpoint is picked when session affinity does not decide
 * @param healthCheck    the active TCP health check of the service port's endpoints, or {@link HealthCheck#OFF}
 */
public record Route(
        ServicePortName servicePort,
        FrontendKind frontend,
        List<Endpoint> endpoints,
        SessionAffinity affinity,
        Duration udpIdleTimeout,
        List<Cidr> sourceRanges,
        ProxyProtocolOptions proxyProtocol,
        OutlierDetection outlierDetection,
        ConnectionLifecycle lifecycle,
        BalancingAlgorithm algorithm,
        HealthCheck healthCheck) {

    public static final Duration DEFAULT_UDP_IDLE_TIMEOUT = Duration.ofMillis(250);

    public Route {
        Objects.requireNonNull(servicePort, "servicePort");
        Objects.requireNonNull(frontend, "frontend");
        endpoints = List.copyOf(endpoints);
        Objects.requireNonNull(affinity, "affinity");
        Objects.requireNonNull(udpIdleTimeout, "udpIdleTimeout");
        if (udpIdleTimeout.isNegative() || udpIdleTimeout.isZero()) {
            throw new IllegalArgumentException("udpIdleTimeout: " + udpIdleTimeout + " (expected: > 0)");
        }
        sourceRanges = List.copyOf(sourceRanges);
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(healthCheck, "healthCheck");
    }

    /**
     * A route with no affinity, the default UDP timeout, no source ranges, no PROXY protocol, the default outlier
     * detection and connection lifecycle, round-robin and no health check.
     */
    public static Route of(ServicePortName servicePort, FrontendKind frontend, List<Endpoint> endpoints) {
        return new Route(servicePort, frontend, endpoints, SessionAffinity.NONE, DEFAULT_UDP_IDLE_TIMEOUT, List.of(),
                ProxyProtocolOptions.NONE, OutlierDetection.DEFAULT, ConnectionLifecycle.DEFAULT,
                BalancingAlgorithm.ROUND_ROBIN, HealthCheck.OFF);
    }

    public Route withEndpoints(List<Endpoint> newEndpoints) {
        return new Route(servicePort, frontend, newEndpoints, affinity, udpIdleTimeout, sourceRanges, proxyProtocol,
                outlierDetection, lifecycle, algorithm, healthCheck);
    }

    public Route withAffinity(SessionAffinity newAffinity) {
        return new Route(servicePort, frontend, endpoints, newAffinity, udpIdleTimeout, sourceRanges, proxyProtocol,
                outlierDetection, lifecycle, algorithm, healthCheck);
    }

    public Route withUdpIdleTimeout(Duration timeout) {
        return new Route(servicePort, frontend, endpoints, affinity, timeout, sourceRanges, proxyProtocol,
                outlierDetection, lifecycle, algorithm, healthCheck);
    }

    public Route withSourceRanges(List<Cidr> ranges) {
        return new Route(servicePort, frontend, endpoints, affinity, udpIdleTimeout, ranges, proxyProtocol,
                outlierDetection, lifecycle, algorithm, healthCheck);
    }

    public Route withProxyProtocol(ProxyProtocolOptions options) {
        return new Route(servicePort, frontend, endpoints, affinity, udpIdleTimeout, sourceRanges, options,
                outlierDetection, lifecycle, algorithm, healthCheck);
    }

    public Route withOutlierDetection(OutlierDetection detection) {
        return new Route(servicePort, frontend, endpoints, affinity, udpIdleTimeout, sourceRanges, proxyProtocol,
                detection, lifecycle, algorithm, healthCheck);
    }

    public Route withLifecycle(ConnectionLifecycle newLifecycle) {
        return new Route(servicePort, frontend, endpoints, affinity, udpIdleTimeout, sourceRanges, proxyProtocol,
                outlierDetection, newLifecycle, algorithm, healthCheck);
    }

    public Route withAlgorithm(BalancingAlgorithm newAlgorithm) {
        return new Route(servicePort, frontend, endpoints, affinity, udpIdleTimeout, sourceRanges, proxyProtocol,
                outlierDetection, lifecycle, newAlgorithm, healthCheck);
    }

    public Route withHealthCheck(HealthCheck check) {
        return new Route(servicePort, frontend, endpoints, affinity, udpIdleTimeout, sourceRanges, proxyProtocol,
                outlierDetection, lifecycle, algorithm, check);
    }
}
