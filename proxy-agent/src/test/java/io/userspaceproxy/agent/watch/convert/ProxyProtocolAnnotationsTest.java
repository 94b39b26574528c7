package io.userspaceproxy.agent.watch.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.userspaceproxy.agent.state.ProxyProtocolSettings;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import io.userspaceproxy.core.model.ProxyProtocolOptions.Version;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The PROXY protocol annotations: from a Service, as a manifest or the API server gives it, to each port. */
class ProxyProtocolAnnotationsTest {

    private final List<String> warnings = new ArrayList<>();

    private static Service service(Map<String, String> annotations) {
        return new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("web")
                .withAnnotations(annotations).endMetadata()
                .withNewSpec().withType("NodePort").withClusterIP("10.96.0.10")
                .addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort()
                .addNewPort().withName("metrics").withPort(9090).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(53).withProtocol("UDP").endPort()
                .endSpec().build();
    }

    private ServiceInfo convert(Map<String, String> annotations) {
        return KubernetesObjects.service(service(annotations), warnings::add);
    }

    private static ProxyProtocolOptions port(ServiceInfo s, String name) {
        ServicePortInfo port = s.ports().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
        return s.proxyProtocol().forPort(port);
    }

    @Test
    void none_everyPortAsToday() {
        ServiceInfo s = convert(Map.of());

        assertThat(s.proxyProtocol()).isEqualTo(ProxyProtocolSettings.NONE);
        assertThat(port(s, "http")).isEqualTo(ProxyProtocolOptions.NONE);
    }

    @Test
    void v2OnNamedPorts_otherPortsAndUdpSendNothing_acceptAppliesToEveryTcpPort() {
        ServiceInfo s = convert(Map.of(ProxyProtocolAnnotations.SEND, "v2", ProxyProtocolAnnotations.PORTS,
                " http ,", ProxyProtocolAnnotations.ACCEPT, "10.0.0.0/8, 192.168.0.0/16"));

        List<Cidr> trusted = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.168.0.0/16"));
        assertThat(port(s, "http")).isEqualTo(new ProxyProtocolOptions(Version.V2, trusted));
        assertThat(port(s, "metrics")).isEqualTo(new ProxyProtocolOptions(Version.NONE, trusted));
        assertThat(port(s, "dns")).isEqualTo(ProxyProtocolOptions.NONE);
        assertThat(port(s, "http").mustReadHeader(FrontendKind.NODE_PORT, IpAddresses.parse("10.1.2.3"))).isTrue();
        assertThat(port(s, "http").mustReadHeader(FrontendKind.CLUSTER_IP, IpAddresses.parse("10.1.2.3")))
                .as("a ClusterIP never reads a header").isFalse();
        assertThat(port(s, "http").mustReadHeader(FrontendKind.NODE_PORT, IpAddresses.parse("172.16.0.1")))
                .isFalse();
    }

    @Test
    void v1_everyTcpPort() {
        ServiceInfo s = convert(Map.of(ProxyProtocolAnnotations.SEND, "v1"));

        assertThat(port(s, "metrics").send()).isEqualTo(Version.V1);
    }

    @Test
    void badVersionOrCidr_theServiceIsInvalid_namingTheAnnotationAndValue() {
        assertThatThrownBy(() -> convert(Map.of(ProxyProtocolAnnotations.SEND, "v3",
                ProxyProtocolAnnotations.ACCEPT, "10.0.0.0/8,lb.example")))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessageContaining("metadata.annotations[\"userspace-proxy.io/proxy-protocol\"]: \"v3\""
                        + " (expected: v1 or v2)")
                .hasMessageContaining("metadata.annotations[\"userspace-proxy.io/accept-proxy-protocol\"]:"
                        + " \"lb.example\"");
    }
}
