package io.userspaceproxy.agent.watch.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.agent.state.TargetPort;
import io.userspaceproxy.agent.state.TrafficPolicy;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.SessionAffinity;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Services converted and validated ({@link KubernetesObjects#service}): every field, the defaults, each rejection. */
class ServiceConversionTest {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private final List<String> warnings = new ArrayList<>();

    /** A valid ClusterIP Service in namespace demo; {@code spec} lines are appended under {@code spec:}. */
    private static Service service(String name, String... specLines) {
        StringBuilder y = new StringBuilder("apiVersion: v1\nkind: Service\nmetadata:\n  namespace: demo\n");
        if (name != null) {
            y.append("  name: ").append(name).append('\n');
        }
        y.append("spec:\n");
        for (String line : specLines) {
            y.append("  ").append(line).append('\n');
        }
        return YAML.unmarshal(y.toString(), Service.class);
    }

    private ServiceInfo convert(Service s) {
        return KubernetesObjects.service(s, warnings::add);
    }

    private static InetAddress ip(String s) {
        return IpAddresses.parse(s);
    }

    @Test
    void service_fullSpec_convertsEveryField() {
        Service s = YAML.unmarshal("""
                apiVersion: v1
                kind: Service
                metadata:
                  name: web
                  namespace: shop
                  annotations:
                    userspace-proxy.io/udp-timeout: 1m30s
                    service.kubernetes.io/topology-mode: Auto
                spec:
                  type: LoadBalancer
                  clusterIP: 10.96.0.10
                  clusterIPs: [10.96.0.10, "fd00::10"]
                  ports:
                  - {name: http, port: 80, targetPort: web, nodePort: 30080}
                  - {name: dns, protocol: UDP, port: 53, targetPort: 5353}
                  externalIPs: [192.0.2.7]
                  loadBalancerSourceRanges: [" 203.0.113.0/24 "]
                  sessionAffinity: ClientIP
                  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
                  internalTrafficPolicy: Local
                  externalTrafficPolicy: Local
                  healthCheckNodePort: 32000
                  trafficDistribution: PreferClose
                status:
                  loadBalancer:
                    ingress:
                    - ip: 198.51.100.1
                    - hostname: lb.example.com
                    - {ip: 198.51.100.2, ipMode: Proxy}
                """, Service.class);

        ServiceInfo info = convert(s);

        assertThat(info.ref()).isEqualTo(ObjectRef.of("shop", "web"));
        assertThat(info.type()).isEqualTo(ServiceType.LOAD_BALANCER);
        assertThat(info.clusterIPs()).containsExactly(ip("10.96.0.10"), ip("fd00::10"));
        assertThat(info.ports()).containsExactly(
                new ServicePortInfo("http", Protocol.TCP, 80, TargetPort.named("web"), 30080),
                new ServicePortInfo("dns", Protocol.UDP, 53, TargetPort.number(5353), 0));
        assertThat(info.externalIPs()).containsExactly(ip("192.0.2.7"));
        assertThat(info.loadBalancerIngressIPs()).containsExactly(ip("198.51.100.1"));
        assertThat(info.loadBalancerSourceRanges()).containsExactly(Cidr.parse("203.0.113.0/24"));
        assertThat(info.sessionAffinity()).isEqualTo(SessionAffinity.clientIp(Duration.ofSeconds(60)));
        assertThat(info.internalTrafficPolicy()).isEqualTo(TrafficPolicy.LOCAL);
        assertThat(info.externalTrafficPolicy()).isEqualTo(TrafficPolicy.LOCAL);
        assertThat(info.healthCheckNodePort()).isEqualTo(32000);
        assertThat(info.trafficDistribution()).isEqualTo("PreferClose");
        assertThat(info.topologyMode()).isEqualTo("Auto");
        assertThat(info.udpTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(warnings).isEmpty();
    }

    @Test
    void service_defaults_areKubernetesDefaults() {
        ServiceInfo info = convert(service("echo", "clusterIP: 127.0.10.1", "ports: [{port: 8080}]"));

        assertThat(info.type()).isEqualTo(ServiceType.CLUSTER_IP);
        assertThat(info.ports()).containsExactly(ServicePortInfo.of("", Protocol.TCP, 8080));
        assertThat(info.sessionAffinity()).isEqualTo(SessionAffinity.NONE);
        assertThat(info.internalTrafficPolicy()).isEqualTo(TrafficPolicy.CLUSTER);
        assertThat(info.udpTimeout()).isNull();
        assertThat(info.trafficDistribution()).isNull();
        assertThat(info.topologyMode()).isNull();
    }

    @Test
    void service_noNamespace_isInDefault() {
        Service s = YAML.unmarshal("---\n{apiVersion: v1, kind: Service, metadata: {name: a},"
                + " spec: {clusterIP: 10.0.0.1, ports: [{port: 80}]}}", Service.class);

        assertThat(convert(s).ref()).isEqualTo(ObjectRef.of("default", "a"));
    }

    @Test
    void service_clientIpWithoutTimeout_usesDefaultTimeout() {
        ServiceInfo info = convert(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]",
                "sessionAffinity: ClientIP"));

        assertThat(info.sessionAffinity()).isEqualTo(SessionAffinity.clientIp(SessionAffinity.DEFAULT_TIMEOUT));
    }

    @Test
    void service_headless_hasNoClusterIPs() {
        ServiceInfo info = convert(service("db", "clusterIP: None", "ports: [{port: 5432}]"));

        assertThat(info.clusterIPs()).isEmpty();
        assertThat(info.isHeadless()).isTrue();
    }

    @Test
    void service_externalName_needsNoClusterIP() {
        ServiceInfo info = convert(service("ext", "type: ExternalName", "externalName: example.com"));

        assertThat(info.type()).isEqualTo(ServiceType.EXTERNAL_NAME);
        assertThat(info.isHeadless()).isTrue();
    }

    @Test
    void service_legacyTopologyAnnotation_isRead() {
        Service s = service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]");
        s.getMetadata().getAnnotations().put(KubernetesObjects.TOPOLOGY_AWARE_HINTS_ANNOTATION, "auto");

        assertThat(convert(s).topologyMode()).isEqualTo("auto");
    }

    @Test
    void service_badClusterIP_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.300", "ports: [{port: 80}]"),
                "Service demo/a: spec.clusterIP: \"10.0.0.300\" (expected: an IP address)");
    }

    @Test
    void service_hostNameAsExternalIP_isRejectedWithoutDnsLookup() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]", "externalIPs: [localhost]"),
                "Service demo/a: spec.externalIPs[0]: \"localhost\" (expected: an IP address)");
    }

    @Test
    void service_missingClusterIP_isRejected() {
        assertRejected(service("a", "ports: [{port: 80}]"),
                "Service demo/a: spec.clusterIP: missing (expected: an IP address, or \"None\" for a headless Service)");
    }

    @Test
    void service_twoClusterIPsOfOneFamily_areRejected() {
        assertRejected(service("a", "clusterIPs: [10.0.0.1, 10.0.0.2]", "ports: [{port: 80}]"),
                "Service demo/a: spec.clusterIPs: [10.0.0.1, 10.0.0.2] (expected: at most one address per IP family)");
    }

    @Test
    void service_portOutOfRange_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 70000}]"),
                "Service demo/a: spec.ports[0].port: 70000 (expected: 1..65535)");
    }

    @Test
    void service_portZero_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 0}]"),
                "Service demo/a: spec.ports[0].port: 0 (expected: 1..65535)");
    }

    @Test
    void service_nodePortOutOfRange_isRejected() {
        assertRejected(service("a", "type: NodePort", "clusterIP: 10.0.0.1", "ports: [{port: 80, nodePort: 65536}]"),
                "Service demo/a: spec.ports[0].nodePort: 65536 (expected: 1..65535)");
    }

    @Test
    void service_targetPortOutOfRange_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80, targetPort: 99999}]"),
                "Service demo/a: spec.ports[0].targetPort: 99999 (expected: 1..65535)");
    }

    @Test
    void service_unknownProtocol_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80, protocol: HTTP}]"),
                "Service demo/a: spec.ports[0].protocol: \"HTTP\" (expected: TCP or UDP)");
    }

    @Test
    void service_lowerCaseProtocol_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80, protocol: tcp}]"),
                "Service demo/a: spec.ports[0].protocol: \"tcp\" (expected: TCP or UDP)");
    }

    @Test
    void service_sctpPort_isDroppedWithWarningAndOtherPortsServed() {
        ServiceInfo info = convert(service("a", "clusterIP: 10.0.0.1",
                "ports: [{name: sig, port: 3868, protocol: SCTP}, {name: http, port: 80}]"));

        assertThat(info.ports()).containsExactly(ServicePortInfo.of("http", Protocol.TCP, 80));
        assertThat(warnings).containsExactly(
                "Service demo/a: spec.ports[0]: protocol SCTP is not served by a userspace proxy; port ignored");
    }

    @Test
    void service_missingName_isRejected() {
        assertRejected(service(null, "clusterIP: 10.0.0.1", "ports: [{port: 80}]"),
                "Service demo/<unnamed>: metadata.name: missing (expected: a non-empty name)");
    }

    @Test
    void service_missingSpec_isRejected() {
        Service s = YAML.unmarshal("---\n{apiVersion: v1, kind: Service, metadata: {name: a}}", Service.class);

        assertRejected(s, "Service default/a: spec: missing (expected: a Service spec)");
    }

    @Test
    void service_duplicatePortNames_areRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{name: http, port: 80}, {name: http, port: 81}]"),
                "Service demo/a: spec.ports[1].name: \"http\" (expected: unique within the Service,"
                        + " already used by spec.ports[0])");
    }

    @Test
    void service_unnamedPortAmongSeveral_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{name: http, port: 80}, {port: 81}]"),
                "Service demo/a: spec.ports[1].name: missing (expected: a name when a Service has more than one port)");
    }

    @Test
    void service_duplicateNodePortInOneService_isRejected() {
        assertRejected(service("a", "type: NodePort", "clusterIP: 10.0.0.1",
                        "ports: [{name: a, port: 80, nodePort: 30080}, {name: b, port: 81, nodePort: 30080}]"),
                "Service demo/a: spec.ports[1].nodePort: \"30080/TCP\" (expected: unique within the Service,"
                        + " already used by spec.ports[0])");
    }

    @Test
    void service_sameNodePortForTcpAndUdp_isAccepted() {
        ServiceInfo info = convert(service("dns", "type: NodePort", "clusterIP: 10.0.0.1",
                "ports: [{name: tcp, port: 53, nodePort: 30053}, {name: udp, port: 53, protocol: UDP, nodePort: 30053}]"));

        assertThat(info.ports()).extracting(ServicePortInfo::nodePort).containsExactly(30053, 30053);
    }

    @Test
    void service_affinityTimeoutZero_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]", "sessionAffinity: ClientIP",
                        "sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}"),
                "Service demo/a: spec.sessionAffinityConfig.clientIP.timeoutSeconds: 0 (expected: 1..86400)");
    }

    @Test
    void service_affinityTimeoutAboveOneDay_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]", "sessionAffinity: ClientIP",
                        "sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}"),
                "Service demo/a: spec.sessionAffinityConfig.clientIP.timeoutSeconds: 86401 (expected: 1..86400)");
    }

    @Test
    void service_unknownAffinity_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]", "sessionAffinity: Cookie"),
                "Service demo/a: spec.sessionAffinity: \"Cookie\" (expected: None or ClientIP)");
    }

    @Test
    void service_unknownType_isRejected() {
        assertRejected(service("a", "type: Ingress", "clusterIP: 10.0.0.1", "ports: [{port: 80}]"),
                "Service demo/a: spec.type: \"Ingress\" (expected: ClusterIP, NodePort, LoadBalancer or ExternalName)");
    }

    @Test
    void service_unknownTrafficPolicy_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]", "externalTrafficPolicy: Global"),
                "Service demo/a: spec.externalTrafficPolicy: \"Global\" (expected: Cluster or Local)");
    }

    @Test
    void service_badSourceRange_isRejected() {
        assertRejected(service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]",
                        "loadBalancerSourceRanges: [10.0.0.0/33]"),
                "Service demo/a: spec.loadBalancerSourceRanges[0]: \"10.0.0.0/33\""
                        + " (expected: a CIDR such as 203.0.113.0/24)");
    }

    @Test
    void service_badUdpTimeoutAnnotation_isRejected() {
        Service s = service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]");
        s.getMetadata().getAnnotations().put(KubernetesObjects.UDP_TIMEOUT_ANNOTATION, "5 seconds");

        assertRejected(s, "Service demo/a: metadata.annotations[\"userspace-proxy.io/udp-timeout\"]: \"5 seconds\""
                + " (expected: a duration > 0 such as 250ms, 5s or 1m30s)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-5s", "0", "0s", "1d"})
    void service_udpTimeoutNotAPositiveGoDuration_isRejected(String value) {
        Service s = service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]");
        s.getMetadata().getAnnotations().put(KubernetesObjects.UDP_TIMEOUT_ANNOTATION, value);

        assertRejected(s, "Service demo/a: metadata.annotations[\"userspace-proxy.io/udp-timeout\"]: \"" + value
                + "\" (expected: a duration > 0 such as 250ms, 5s or 1m30s)");
    }

    @ParameterizedTest
    @CsvSource({"1.5h, PT1H30M", "100\u00b5s, PT0.0001S", "2h0m1s, PT2H1S", "+250ms, PT0.25S"})
    void service_udpTimeoutInGoSyntax_isTheAgentsOneGoDurationParser(String value, Duration expected) {
        Service s = service("a", "clusterIP: 10.0.0.1", "ports: [{port: 80}]");
        s.getMetadata().getAnnotations().put(KubernetesObjects.UDP_TIMEOUT_ANNOTATION, value);

        assertThat(convert(s).udpTimeout()).isEqualTo(expected);
    }

    @Test
    void service_severalProblems_areAllReported() {
        assertThatThrownBy(() -> convert(service("a", "clusterIP: 10.0.0.1",
                        "ports: [{name: x, port: 0}, {name: y, port: 80, protocol: QUIC}]")))
                .isInstanceOf(InvalidResourceException.class)
                .satisfies(e -> assertThat(((InvalidResourceException) e).problems()).containsExactly(
                        "Service demo/a: spec.ports[0].port: 0 (expected: 1..65535)",
                        "Service demo/a: spec.ports[1].protocol: \"QUIC\" (expected: TCP or UDP)"));
    }

    @Test
    void service_conversion_doesNotModifyTheObject() {
        Service s = service("a", "type: NodePort", "clusterIP: 10.0.0.1", "ports: [{port: 80, nodePort: 30080}]");
        String before = YAML.asJson(s);

        convert(s);

        assertThat(YAML.asJson(s)).isEqualTo(before);
    }

    private void assertRejected(Service s, String message) {
        String before = YAML.asJson(s);
        assertThatThrownBy(() -> convert(s))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage(message);
        assertThat(YAML.asJson(s)).as("the object is not modified").isEqualTo(before);
    }
}
