package io.userspaceproxy.agent.watch.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EndpointSlices and legacy Endpoints converted and validated ({@link KubernetesObjects#endpointSlice}). */
class EndpointConversionTest {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private final List<String> warnings = new ArrayList<>();

    private static InetAddress ip(String s) {
        return IpAddresses.parse(s);
    }

    private static EndpointSlice slice(String body) {
        return YAML.unmarshal("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n" + body, EndpointSlice.class);
    }

    @Test
    void endpointSlice_valid_convertsConditionsNodesAndHints() {
        EndpointSlice s = slice("""
                metadata: {name: echo-abc, namespace: demo, labels: {kubernetes.io/service-name: echo}}
                addressType: IPv4
                ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]
                endpoints:
                - addresses: [10.1.0.1]
                  conditions: {ready: true, serving: true, terminating: false}
                  nodeName: node-a
                  zone: zone-a
                  hints: {forZones: [{name: zone-a}], forNodes: [{name: node-a}]}
                - addresses: [10.1.0.2]
                """);

        EndpointSliceInfo info = KubernetesObjects.endpointSlice(s, warnings::add);

        assertThat(info.ref()).isEqualTo(ObjectRef.of("demo", "echo-abc"));
        assertThat(info.serviceRef()).isEqualTo(ObjectRef.of("demo", "echo"));
        assertThat(info.addressType()).isEqualTo(AddressType.IPV4);
        assertThat(info.ports()).containsExactly(EndpointPortInfo.of("http", Protocol.TCP, 8080),
                EndpointPortInfo.of("dns", Protocol.UDP, 53));
        assertThat(info.endpoints()).containsExactly(
                new EndpointInfo(List.of(ip("10.1.0.1")), true, true, false, "node-a", "zone-a", List.of("zone-a"),
                        List.of("node-a")),
                new EndpointInfo(List.of(ip("10.1.0.2")), null, null, null, null, null, List.of()));
        assertThat(info.endpoints().get(1).isReady()).isTrue();
    }

    @Test
    void endpointSlice_missingServiceLabel_isRejected() {
        assertSliceRejected(slice("metadata: {name: s, namespace: demo}\naddressType: IPv4\n"),
                "EndpointSlice demo/s: metadata.labels[\"kubernetes.io/service-name\"]: missing"
                        + " (expected: the name of the Service this slice belongs to)");
    }

    @Test
    void endpointSlice_fqdn_isRejected() {
        assertSliceRejected(slice("metadata: {name: s, labels: {kubernetes.io/service-name: x}}\naddressType: FQDN\n"),
                "EndpointSlice default/s: addressType: \"FQDN\" (expected: IPv4 or IPv6 (FQDN slices are not served))");
    }

    @Test
    void endpointSlice_addressOfOtherFamily_isRejected() {
        assertSliceRejected(slice("metadata: {name: s, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\n"
                        + "endpoints: [{addresses: [\"fd00::1\"]}]\n"),
                "EndpointSlice default/s: endpoints[0].addresses[0]: \"fd00::1\" (expected: an IPv4 address,"
                        + " as addressType says)");
    }

    @Test
    void endpointSlice_badAddress_isRejected() {
        assertSliceRejected(slice("metadata: {name: s, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\n"
                        + "endpoints: [{addresses: [10.1.0]}]\n"),
                "EndpointSlice default/s: endpoints[0].addresses[0]: \"10.1.0\" (expected: an IP address)");
    }

    @Test
    void endpointSlice_portOutOfRange_isRejected() {
        assertSliceRejected(slice("metadata: {name: s, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\n"
                        + "ports: [{name: http, port: 0}]\n"),
                "EndpointSlice default/s: ports[0].port: 0 (expected: 1..65535)");
    }

    @Test
    void endpointSlice_sctpPort_isDroppedWithWarning() {
        EndpointSliceInfo info = KubernetesObjects.endpointSlice(slice(
                "metadata: {name: s, labels: {kubernetes.io/service-name: x}}\naddressType: IPv4\n"
                        + "ports: [{name: sig, port: 3868, protocol: SCTP}, {name: http, port: 80}]\n"), warnings::add);

        assertThat(info.ports()).containsExactly(EndpointPortInfo.of("http", Protocol.TCP, 80));
        assertThat(warnings).containsExactly(
                "EndpointSlice default/s: ports[0]: protocol SCTP is not served by a userspace proxy; port ignored");
    }

    private void assertSliceRejected(EndpointSlice s, String message) {
        String before = YAML.asJson(s);
        assertThatThrownBy(() -> KubernetesObjects.endpointSlice(s, warnings::add))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage(message);
        assertThat(YAML.asJson(s)).isEqualTo(before);
    }

    // ---- Endpoints ----

    @Test
    void endpoints_readyAndNotReadyAddresses_becomeSlicesPerSubsetAndFamily() {
        Endpoints e = YAML.unmarshal("""
                apiVersion: v1
                kind: Endpoints
                metadata: {name: hello, namespace: demo}
                subsets:
                - addresses: [{ip: 127.0.0.1, nodeName: node-a}, {ip: "::1"}]
                  notReadyAddresses: [{ip: 127.0.0.2}]
                  ports: [{port: 18084}]
                - addresses: [{ip: 127.0.0.3}]
                  ports: [{name: admin, port: 9000, protocol: UDP}]
                """, Endpoints.class);
        String before = YAML.asJson(e);

        List<EndpointSliceInfo> slices = KubernetesObjects.endpoints(e, warnings::add);

        assertThat(slices).containsExactly(
                new EndpointSliceInfo(ObjectRef.of("demo", "hello/subsets[0]/IPv4"), "hello", AddressType.IPV4,
                        List.of(EndpointPortInfo.of("", Protocol.TCP, 18084)),
                        List.of(new EndpointInfo(List.of(ip("127.0.0.1")), true, null, null, "node-a", null, List.of()),
                                new EndpointInfo(List.of(ip("127.0.0.2")), false, null, null, null, null, List.of()))),
                new EndpointSliceInfo(ObjectRef.of("demo", "hello/subsets[0]/IPv6"), "hello", AddressType.IPV6,
                        List.of(EndpointPortInfo.of("", Protocol.TCP, 18084)),
                        List.of(new EndpointInfo(List.of(ip("::1")), true, null, null, null, null, List.of()))),
                new EndpointSliceInfo(ObjectRef.of("demo", "hello/subsets[1]/IPv4"), "hello", AddressType.IPV4,
                        List.of(EndpointPortInfo.of("admin", Protocol.UDP, 9000)),
                        List.of(new EndpointInfo(List.of(ip("127.0.0.3")), true, null, null, null, null, List.of()))));
        assertThat(slices.get(0).endpoints().get(1).isServing()).isFalse();
        assertThat(YAML.asJson(e)).isEqualTo(before);
    }

    @Test
    void endpoints_badAddress_isRejected() {
        Endpoints e = YAML.unmarshal("---\n{apiVersion: v1, kind: Endpoints, metadata: {name: h},"
                + " subsets: [{addresses: [{ip: nope}], ports: [{port: 80}]}]}", Endpoints.class);

        assertThatThrownBy(() -> KubernetesObjects.endpoints(e, warnings::add))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage("Endpoints default/h: subsets[0].addresses[0].ip: \"nope\" (expected: an IP address)");
    }

    @Test
    void endpoints_noSubsets_giveNoSlices() {
        Endpoints e = YAML.unmarshal("---\n{apiVersion: v1, kind: Endpoints, metadata: {name: h}}", Endpoints.class);

        assertThat(KubernetesObjects.endpoints(e, warnings::add)).isEmpty();
    }
}
