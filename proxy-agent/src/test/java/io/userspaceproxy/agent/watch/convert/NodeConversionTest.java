package io.userspaceproxy.agent.watch.convert;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.core.model.IpAddresses;
import org.junit.jupiter.api.Test;

class NodeConversionTest {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private static Node node(String body) {
        return YAML.unmarshal("apiVersion: v1\nkind: Node\n" + body, Node.class);
    }

    @Test
    void node_full_zoneIpAddressesDeletionAndTaints() {
        Node n = node("""
                metadata:
                  name: node-a
                  labels: {topology.kubernetes.io/zone: eu-1a, kubernetes.io/hostname: node-a}
                  deletionTimestamp: "2024-05-01T12:00:00Z"
                spec:
                  taints: [{key: ToBeDeletedByClusterAutoscaler, effect: NoSchedule}]
                status:
                  addresses:
                  - {type: InternalIP, address: 10.0.0.5}
                  - {type: InternalIP, address: "fd00::5"}
                  - {type: Hostname, address: node-a}
                  - {type: ExternalIP, address: 203.0.113.5}
                  - {type: InternalDNS, address: node-a.internal}
                """);
        String before = YAML.asJson(n);

        NodeInfo info = KubernetesObjects.node(n);

        assertThat(info.name()).isEqualTo("node-a");
        assertThat(info.zone()).isEqualTo("eu-1a");
        assertThat(info.addresses()).containsExactly(IpAddresses.parse("10.0.0.5"), IpAddresses.parse("fd00::5"),
                IpAddresses.parse("203.0.113.5"));
        assertThat(info.beingDeleted()).isTrue();
        assertThat(info.taintKeys()).containsExactly("ToBeDeletedByClusterAutoscaler");
        assertThat(info.hostIPs()).containsExactly(IpAddresses.parse("10.0.0.5"), IpAddresses.parse("fd00::5"));
        assertThat(YAML.asJson(n)).isEqualTo(before);
    }

    @Test
    void node_externalIpListedFirst_hostIpsStillPreferInternalIp() {
        NodeInfo info = KubernetesObjects.node(node("""
                metadata: {name: node-a}
                status:
                  addresses:
                  - {type: ExternalIP, address: 203.0.113.5}
                  - {type: ExternalIP, address: "2001:db8::5"}
                  - {type: InternalIP, address: 10.0.0.5}
                """));

        assertThat(info.hostIPs()).containsExactly(IpAddresses.parse("10.0.0.5"), IpAddresses.parse("2001:db8::5"));
    }

    @Test
    void node_bare_noZoneNoAddresses() {
        NodeInfo info = KubernetesObjects.node(node("metadata: {name: node-a, labels: {topology.kubernetes.io/zone: ''}}"));

        assertThat(info.zone()).isNull();
        assertThat(info.addresses()).isEmpty();
        assertThat(info.beingDeleted()).isFalse();
        assertThat(info.taintKeys()).isEmpty();
    }
}
