package io.userspaceproxy.agent.state;

import io.userspaceproxy.core.model.BalancingAlgorithm;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.OutlierDetection;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the proxy needs from a Service, already validated. Immutable; lists are unmodifiable copies.
 *
 * @param ref                      namespace and name
 * @param type                     {@code spec.type}
 * @param clusterIPs               {@code spec.clusterIPs} (one per IP family); empty for a headless Service
 *                                 ({@code clusterIP: None}) and for {@code ExternalName}
 * @param ports                    {@code spec.ports} that a userspace proxy can serve (TCP and UDP)
 * @param externalIPs              {@code spec.externalIPs}
 * @param loadBalancerIngressIPs   {@code status.loadBalancer.ingress[].ip}, without hostname-only entries and
 *                                 without those whose {@code ipMode} is {@code Proxy} (the load balancer does
 *                                 not deliver such traffic to the IP, so kube-proxy does not capture it either)
 * @param loadBalancerSourceRanges {@code spec.loadBalancerSourceRanges}: who may reach the load-balancer IPs
 * @param sessionAffinity          {@code spec.sessionAffinity} with its ClientIP timeout
 * @param internalTrafficPolicy    governs the ClusterIP frontends
 * @param externalTrafficPolicy    governs the NodePort, external IP and load-balancer frontends
 * @param healthCheckNodePort      {@code spec.healthCheckNodePort}, 0 when none
 * @param trafficDistribution      nullable: {@code spec.trafficDistribution}, e.g. {@code PreferSameNode}; not read
 *                                 when routing: like kube-proxy 1.33-1.35, the proxy follows the slices' hints,
 *                                 which the EndpointSlice controller writes because of this field
 * @param topologyMode             nullable: annotation {@code service.kubernetes.io/topology-mode} (or the legacy
 *                                 {@code service.kubernetes.io/topology-aware-hints}), e.g. {@code Auto}; like
 *                                 {@code trafficDistribution}, it acts through the hints it makes the controller
 *                                 write
 * @param udpTimeout               nullable: annotation {@code userspace-proxy.io/udp-timeout} (e.g. {@code 5s}),
 *                                 the idle time after which this Service's UDP flows expire; null means the
 *                                 proxy's {@code --udp-timeout}
 * @param proxyProtocol            the PROXY protocol annotations ({@link ProxyProtocolSettings#NONE} without them)
 * @param outlierDetection         annotation {@code userspace-proxy.io/outlier-detection}, else the default (on)
 * @param lifecycle                annotations {@code userspace-proxy.io/on-endpoint-removal} and
 *                                 {@code userspace-proxy.io/max-connection-age}, else keep and no age limit
 * @param algorithm                annotation {@code userspace-proxy.io/load-balancer}, else round-robin
 * @param healthCheck              annotation {@code userspace-proxy.io/health-check}, else none
 */
public record ServiceInfo(
        ObjectRef ref,
        ServiceType type,
        List<InetAddress> clusterIPs,
        List<ServicePortInfo> ports,
        List<InetAddress> externalIPs,
        List<InetAddress> loadBalancerIngressIPs,
        List<Cidr> loadBalancerSourceRanges,
        SessionAffinity sessionAffinity,
        TrafficPolicy internalTrafficPolicy,
        TrafficPolicy externalTrafficPolicy,
        int healthCheckNodePort,
        @Nullable String trafficDistribution,
        @Nullable String topologyMode,
        @Nullable Duration udpTimeout,
        ProxyProtocolSettings proxyProtocol,
        OutlierDetection outlierDetection,
        ConnectionLifecycle lifecycle,
        BalancingAlgorithm algorithm,
        HealthCheck healthCheck) {

    public ServiceInfo {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(type, "type");
        clusterIPs = List.copyOf(clusterIPs);
        ports = List.copyOf(ports);
        externalIPs = List.copyOf(externalIPs);
        loadBalancerIngressIPs = List.copyOf(loadBalancerIngressIPs);
        loadBalancerSourceRanges = List.copyOf(loadBalancerSourceRanges);
        Objects.requireNonNull(sessionAffinity, "sessionAffinity");
        Objects.requireNonNull(internalTrafficPolicy, "internalTrafficPolicy");
        Objects.requireNonNull(externalTrafficPolicy, "externalTrafficPolicy");
        if (healthCheckNodePort < 0 || healthCheckNodePort > 65535) {
            throw new IllegalArgumentException("healthCheckNodePort: " + healthCheckNodePort + " (expected: 0..65535)");
        }
        if (udpTimeout != null && (udpTimeout.isNegative() || udpTimeout.isZero())) {
            throw new IllegalArgumentException("udpTimeout: " + udpTimeout + " (expected: > 0)");
        }
        Objects.requireNonNull(proxyProtocol, "proxyProtocol");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(healthCheck, "healthCheck");
    }

    /** True when the Service has no virtual IP to listen on: headless, or {@code ExternalName}. */
    public boolean isHeadless() {
        return clusterIPs.isEmpty() || type == ServiceType.EXTERNAL_NAME;
    }

    public static Builder builder(ObjectRef ref) {
        return new Builder(ref);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Assembles a {@link ServiceInfo}; defaults are a ClusterIP Service with no ports, no affinity and
     * Cluster traffic policies. Not thread-safe; {@link #build()} validates.
     */
    public static final class Builder {
        private final ObjectRef ref;
        private ServiceType type = ServiceType.CLUSTER_IP;
        private List<InetAddress> clusterIPs = List.of();
        private final List<ServicePortInfo> ports = new ArrayList<>();
        private List<InetAddress> externalIPs = List.of();
        private List<InetAddress> loadBalancerIngressIPs = List.of();
        private List<Cidr> loadBalancerSourceRanges = List.of();
        private SessionAffinity sessionAffinity = SessionAffinity.NONE;
        private TrafficPolicy internalTrafficPolicy = TrafficPolicy.CLUSTER;
        private TrafficPolicy externalTrafficPolicy = TrafficPolicy.CLUSTER;
        private int healthCheckNodePort;
        private @Nullable String trafficDistribution;
        private @Nullable String topologyMode;
        private @Nullable Duration udpTimeout;
        private ProxyProtocolSettings proxyProtocol = ProxyProtocolSettings.NONE;
        private OutlierDetection outlierDetection = OutlierDetection.DEFAULT;
        private ConnectionLifecycle lifecycle = ConnectionLifecycle.DEFAULT;
        private BalancingAlgorithm algorithm = BalancingAlgorithm.ROUND_ROBIN;
        private HealthCheck healthCheck = HealthCheck.OFF;

        private Builder(ObjectRef ref) {
            this.ref = Objects.requireNonNull(ref, "ref");
        }

        private Builder(ServiceInfo s) {
            this(s.ref);
            type = s.type;
            clusterIPs = s.clusterIPs;
            ports.addAll(s.ports);
            externalIPs = s.externalIPs;
            loadBalancerIngressIPs = s.loadBalancerIngressIPs;
            loadBalancerSourceRanges = s.loadBalancerSourceRanges;
            sessionAffinity = s.sessionAffinity;
            internalTrafficPolicy = s.internalTrafficPolicy;
            externalTrafficPolicy = s.externalTrafficPolicy;
            healthCheckNodePort = s.healthCheckNodePort;
            trafficDistribution = s.trafficDistribution;
            topologyMode = s.topologyMode;
            udpTimeout = s.udpTimeout;
            proxyProtocol = s.proxyProtocol;
            outlierDetection = s.outlierDetection;
            lifecycle = s.lifecycle;
            algorithm = s.algorithm;
            healthCheck = s.healthCheck;
        }

        public Builder type(ServiceType value) {
            type = value;
            return this;
        }

        public Builder clusterIPs(List<InetAddress> value) {
            clusterIPs = value;
            return this;
        }

        public Builder port(ServicePortInfo value) {
            ports.add(value);
            return this;
        }

        public Builder ports(List<ServicePortInfo> value) {
            ports.clear();
            ports.addAll(value);
            return this;
        }

        public Builder externalIPs(List<InetAddress> value) {
            externalIPs = value;
            return this;
        }

        public Builder loadBalancerIngressIPs(List<InetAddress> value) {
            loadBalancerIngressIPs = value;
            return this;
        }

        public Builder loadBalancerSourceRanges(List<Cidr> value) {
            loadBalancerSourceRanges = value;
            return this;
        }

        public Builder sessionAffinity(SessionAffinity value) {
            sessionAffinity = value;
            return this;
        }

        public Builder internalTrafficPolicy(TrafficPolicy value) {
            internalTrafficPolicy = value;
            return this;
        }

        public Builder externalTrafficPolicy(TrafficPolicy value) {
            externalTrafficPolicy = value;
            return this;
        }

        public Builder healthCheckNodePort(int value) {
            healthCheckNodePort = value;
            return this;
        }

        public Builder trafficDistribution(@Nullable String value) {
            trafficDistribution = value;
            return this;
        }

        public Builder topologyMode(@Nullable String value) {
            topologyMode = value;
            return this;
        }

        public Builder udpTimeout(@Nullable Duration value) {
            udpTimeout = value;
            return this;
        }

        public Builder proxyProtocol(ProxyProtocolSettings value) {
            proxyProtocol = value;
            return this;
        }

        public Builder outlierDetection(OutlierDetection value) {
            outlierDetection = value;
            return this;
        }

        public Builder lifecycle(ConnectionLifecycle value) {
            lifecycle = value;
            return this;
        }

        public Builder algorithm(BalancingAlgorithm value) {
            algorithm = value;
            return this;
        }

        public Builder healthCheck(HealthCheck value) {
            healthCheck = value;
            return this;
        }

        public ServiceInfo build() {
            return new ServiceInfo(ref, type, clusterIPs, ports, externalIPs, loadBalancerIngressIPs,
                    loadBalancerSourceRanges, sessionAffinity, internalTrafficPolicy, externalTrafficPolicy,
                    healthCheckNodePort, trafficDistribution, topologyMode, udpTimeout, proxyProtocol,
                    outlierDetection, lifecycle, algorithm, healthCheck);
        }
    }
}
