package io.userspaceproxy.agent.watch.convert;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.agent.state.TargetPort;
import io.userspaceproxy.agent.state.TrafficPolicy;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/** Converts and validates one fabric8 {@link Service}; see {@link KubernetesObjects#service}. Single use. */
final class ServiceConversion {

    private final Service service;
    private final ServiceSpec spec;
    private final ConversionReport problems;
    private final ObjectRef ref;

    ServiceConversion(Service service, Consumer<String> warnings) {
        this.service = service;
        this.spec = service.getSpec();
        this.ref = KubernetesObjects.refOf(service.getMetadata());
        this.problems = new ConversionReport("Service " + ref, warnings);
        KubernetesObjects.requireName(problems, service.getMetadata());
    }

    ServiceInfo convert() {
        if (spec == null) {
            problems.missing("spec", "a Service spec");
            problems.throwIfAny();
        }
        ServiceType type = type();
        ServiceInfo.Builder b = ServiceInfo.builder(ref)
                .type(type)
                .clusterIPs(clusterIPs(type))
                .ports(ports())
                .externalIPs(addresses("spec.externalIPs", spec.getExternalIPs()))
                .loadBalancerIngressIPs(ingressIPs())
                .loadBalancerSourceRanges(sourceRanges())
                .sessionAffinity(affinity())
                .internalTrafficPolicy(policy("spec.internalTrafficPolicy", spec.getInternalTrafficPolicy()))
                .externalTrafficPolicy(policy("spec.externalTrafficPolicy", spec.getExternalTrafficPolicy()))
                .healthCheckNodePort(healthCheckNodePort())
                .trafficDistribution(emptyToNull(spec.getTrafficDistribution()))
                .topologyMode(ServiceAnnotations.topologyMode(annotations()))
                .udpTimeout(ServiceAnnotations.udpTimeout(annotations(), problems))
                .proxyProtocol(ProxyProtocolAnnotations.read(annotations(), problems))
                .outlierDetection(ServiceAnnotations.outlierDetection(annotations(), problems))
                .lifecycle(ServiceAnnotations.lifecycle(annotations(), problems))
                .algorithm(ServiceAnnotations.algorithm(annotations(), problems))
                .healthCheck(ServiceAnnotations.healthCheck(annotations(), problems));
        problems.throwIfAny();
        return b.build();
    }

    private ServiceType type() {
        String value = spec.getType();
        if (value == null || value.isEmpty()) {
            return ServiceType.CLUSTER_IP;
        }
        for (ServiceType t : ServiceType.values()) {
            if (t.apiName().equals(value)) {
                return t;
            }
        }
        problems.invalid("spec.type", value, "ClusterIP, NodePort, LoadBalancer or ExternalName");
        return ServiceType.CLUSTER_IP;
    }

    private List<InetAddress> clusterIPs(ServiceType type) {
        if (type == ServiceType.EXTERNAL_NAME) {
            return List.of();
        }
        String single = emptyToNull(spec.getClusterIP());
        List<String> many = spec.getClusterIPs() == null ? List.of() : spec.getClusterIPs();
        if (single != null && !many.isEmpty() && !single.equals(many.get(0))) {
            problems.invalid("spec.clusterIP", single,
                    "equal to spec.clusterIPs[0] " + ConversionReport.render(many.get(0)));
        }
        List<String> values = !many.isEmpty() ? many : single != null ? List.of(single) : List.of();
        String path = !many.isEmpty() ? "spec.clusterIPs" : "spec.clusterIP";
        if (values.isEmpty()) {
            problems.missing("spec.clusterIP", "an IP address, or \"None\" for a headless Service");
            return List.of();
        }
        if (values.size() == 1 && "None".equals(values.get(0))) {
            return List.of();
        }
        List<InetAddress> ips;
        if (many.isEmpty()) {
            // values is not empty, so without clusterIPs it holds the single clusterIP
            InetAddress ip = KubernetesObjects.ip(problems, path, Objects.requireNonNull(single, "single"));
            ips = ip == null ? List.of() : List.of(ip);
        } else {
            ips = addresses(path, many);
        }
        if (ips.size() > 2 || (ips.size() == 2 && ips.get(0).getClass() == ips.get(1).getClass())) {
            problems.invalid(path, values, "at most one address per IP family");
        }
        return ips;
    }

    private List<ServicePortInfo> ports() {
        List<ServicePort> list = spec.getPorts() == null ? List.of() : spec.getPorts();
        List<ServicePortInfo> out = new ArrayList<>(list.size());
        Map<String, String> names = new HashMap<>();
        Map<String, String> ports = new HashMap<>();
        Map<String, String> nodePorts = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String path = "spec.ports[" + i + "]";
            if (list.get(i) == null) {
                problems.missing(path, "a port"); // "ports:\n  - " with nothing after the dash
                continue;
            }
            ServicePortInfo port = port(path, list.get(i), list.size());
            unique(names, port.name().isEmpty() ? null : port.name(), path + ".name", path);
            if ("SCTP".equals(list.get(i).getProtocol())) {
                problems.warn(path + ": protocol SCTP is not served by a userspace proxy; port ignored");
                continue;
            }
            unique(ports, port.port() + "/" + port.protocol(), path, path);
            unique(nodePorts, port.nodePort() == 0 ? null : port.nodePort() + "/" + port.protocol(),
                    path + ".nodePort", path);
            out.add(port);
        }
        return out;
    }

    /** Reports {@code key} when an earlier port of this Service already used it; null keys are not checked. */
    private void unique(Map<String, String> seen, @Nullable String key, String field, String path) {
        String previous = key == null ? null : seen.putIfAbsent(key, path);
        if (previous != null) {
            problems.invalid(field, key, "unique within the Service, already used by " + previous);
        }
    }

    /** Never null; on errors the returned value is a placeholder that is never published. */
    private ServicePortInfo port(String path, ServicePort sp, int count) {
        String name = sp.getName() == null ? "" : sp.getName();
        if (name.isEmpty() && count > 1) {
            problems.missing(path + ".name", "a name when a Service has more than one port");
        }
        Protocol protocol = KubernetesObjects.protocol(problems, path + ".protocol", sp.getProtocol());
        int port = portNumber(path + ".port", sp.getPort(), false);
        int nodePort = portNumber(path + ".nodePort", sp.getNodePort(), true);
        TargetPort target = targetPort(path + ".targetPort", sp.getTargetPort(), port);
        // SCTP (null) is skipped by the caller; TCP stands in so the placeholder is well-formed.
        Protocol served = protocol == null ? Protocol.TCP : protocol;
        return new ServicePortInfo(name, served, Math.max(port, 1), target, nodePort);
    }

    private int portNumber(String path, Integer value, boolean optional) {
        if (value == null || (optional && value == 0)) {
            if (!optional) {
                problems.missing(path, "1..65535");
            }
            return 0;
        }
        if (value < 1 || value > 65535) {
            problems.invalid(path, value, "1..65535");
            return 0;
        }
        return value;
    }

    private TargetPort targetPort(String path, IntOrString value, int port) {
        if (value == null || (value.getIntVal() == null && emptyToNull(value.getStrVal()) == null)) {
            return TargetPort.number(Math.max(port, 1));
        }
        if (value.getIntVal() != null) {
            int number = portNumber(path, value.getIntVal(), false);
            return TargetPort.number(Math.max(number, 1));
        }
        return TargetPort.named(value.getStrVal());
    }

    private List<InetAddress> addresses(String path, List<String> values) {
        List<InetAddress> out = new ArrayList<>();
        for (int i = 0; values != null && i < values.size(); i++) {
            InetAddress ip = KubernetesObjects.ip(problems, path + "[" + i + "]", values.get(i));
            if (ip != null) {
                out.add(ip);
            }
        }
        return out;
    }

    private List<InetAddress> ingressIPs() {
        if (service.getStatus() == null || service.getStatus().getLoadBalancer() == null
                || service.getStatus().getLoadBalancer().getIngress() == null) {
            return List.of();
        }
        List<LoadBalancerIngress> ingress = service.getStatus().getLoadBalancer().getIngress();
        List<InetAddress> out = new ArrayList<>();
        for (int i = 0; i < ingress.size(); i++) {
            LoadBalancerIngress lb = ingress.get(i);
            if (lb == null || emptyToNull(lb.getIp()) == null || "Proxy".equals(lb.getIpMode())) {
                continue;
            }
            InetAddress ip = KubernetesObjects.ip(problems, "status.loadBalancer.ingress[" + i + "].ip", lb.getIp());
            if (ip != null) {
                out.add(ip);
            }
        }
        return out;
    }

    private List<Cidr> sourceRanges() {
        List<String> values = spec.getLoadBalancerSourceRanges() == null
                ? List.of() : spec.getLoadBalancerSourceRanges();
        List<Cidr> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            try {
                out.add(Cidr.parse(values.get(i) == null ? "" : values.get(i).trim()));
            } catch (IllegalArgumentException e) {
                problems.invalid("spec.loadBalancerSourceRanges[" + i + "]", values.get(i),
                        "a CIDR such as 203.0.113.0/24");
            }
        }
        return out;
    }

    private SessionAffinity affinity() {
        String value = spec.getSessionAffinity();
        if (value == null || value.isEmpty() || "None".equals(value)) {
            return SessionAffinity.NONE;
        }
        if (!"ClientIP".equals(value)) {
            problems.invalid("spec.sessionAffinity", value, "None or ClientIP");
            return SessionAffinity.NONE;
        }
        SessionAffinityConfig config = spec.getSessionAffinityConfig();
        Integer seconds = config == null || config.getClientIP() == null
                ? null : config.getClientIP().getTimeoutSeconds();
        if (seconds == null) {
            return SessionAffinity.clientIp(SessionAffinity.DEFAULT_TIMEOUT);
        }
        if (seconds < 1 || seconds > SessionAffinity.MAX_TIMEOUT.getSeconds()) {
            problems.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", seconds, "1..86400");
            return SessionAffinity.NONE;
        }
        return SessionAffinity.clientIp(Duration.ofSeconds(seconds));
    }

    private TrafficPolicy policy(String path, String value) {
        if (value == null || value.isEmpty()) {
            return TrafficPolicy.CLUSTER;
        }
        for (TrafficPolicy t : TrafficPolicy.values()) {
            if (t.apiName().equals(value)) {
                return t;
            }
        }
        problems.invalid(path, value, "Cluster or Local");
        return TrafficPolicy.CLUSTER;
    }

    private int healthCheckNodePort() {
        return portNumber("spec.healthCheckNodePort", spec.getHealthCheckNodePort(), true);
    }

    private Map<String, String> annotations() {
        ObjectMeta meta = service.getMetadata();
        return meta == null || meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    }

    static @Nullable String emptyToNull(@Nullable String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
