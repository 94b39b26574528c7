package io.userspaceproxy.bench.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class IptablesRuleSetTest {

    /** The service kube-proxy's own iptables tests use, whose chain names those tests spell out. */
    private static final Service SVC1 = new Service(
            new ServicePortName("ns1", "svc1", "p80", Protocol.TCP),
            ListenerKey.of(Protocol.TCP, new InetSocketAddress(SyntheticCluster.ipv4(0xAC1E_0029), 80)),
            List.of(Endpoint.of("10.180.0.1", 80), Endpoint.of("10.180.0.2", 80)));

    @Test
    void chainNames_kubeProxyTestService_matchKubeProxysHashes() {
        assertThat(KubeProxyChains.serviceChain(SVC1)).isEqualTo("KUBE-SVC-XPGD46QRK7WJZT7O");
        assertThat(KubeProxyChains.endpointChain(SVC1, Endpoint.of("10.180.0.1", 80)))
                .isEqualTo("KUBE-SEP-SXIVWICOYRO3J4NJ");
    }

    @Test
    void writeFullSync_smallCluster_writesKubeProxysLayoutWithComments() throws IOException {
        StringBuilder out = new StringBuilder();

        IptablesRuleSet.of(List.of(SVC1)).writeFullSync(out);

        String svc = "KUBE-SVC-XPGD46QRK7WJZT7O";
        String sep1 = "KUBE-SEP-SXIVWICOYRO3J4NJ";
        String sep2 = KubeProxyChains.endpointChain(SVC1, Endpoint.of("10.180.0.2", 80));
        assertThat(out.toString()).isEqualTo(String.join("\n",
                "*nat",
                ":KUBE-SERVICES - [0:0]",
                ":KUBE-NODEPORTS - [0:0]",
                ":KUBE-POSTROUTING - [0:0]",
                ":KUBE-MARK-MASQ - [0:0]",
                ":" + svc + " - [0:0]",
                ":" + sep1 + " - [0:0]",
                ":" + sep2 + " - [0:0]",
                "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
                "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
                "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\""
                        + " -j MASQUERADE --random-fully",
                "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
                "-A KUBE-SERVICES -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41"
                        + " --dport 80 -j " + svc,
                "-A " + svc + " -m comment --comment \"ns1/svc1:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.41"
                        + " --dport 80 ! -s 10.128.0.0/9 -j KUBE-MARK-MASQ",
                "-A " + svc + " -m comment --comment \"ns1/svc1:p80 -> 10.180.0.1:80\" -m statistic --mode random"
                        + " --probability 0.5000000000 -j " + sep1,
                "-A " + svc + " -m comment --comment \"ns1/svc1:p80 -> 10.180.0.2:80\" -j " + sep2,
                "-A " + sep1 + " -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ",
                "-A " + sep1 + " -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80",
                "-A " + sep2 + " -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ",
                "-A " + sep2 + " -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80",
                "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule"
                        + " in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS",
                "COMMIT",
                ""));
    }

    @Test
    void writeFullSync_moreThan1000Endpoints_dropsEndpointCommentsLikeLargeClusterMode() throws IOException {
        List<Service> services = SyntheticCluster.generate(101, 10, 1);
        StringBuilder out = new StringBuilder();

        IptablesRuleSet.of(services).writeFullSync(out);

        List<String> lines = out.toString().lines().toList();
        assertThat(lines).filteredOn(l -> l.startsWith("-A KUBE-SEP-")).hasSize(2020)
                .noneMatch(l -> l.contains("--comment"));
        assertThat(lines).filteredOn(l -> l.startsWith("-A KUBE-SERVICES")).hasSize(102)
                .allMatch(l -> l.contains("--comment"));
        assertThat(lines).filteredOn(l -> l.contains("--probability 0.1000000000")).hasSize(101);
    }

    @Test
    void writePartialSync_oneEndpointMoved_rewritesAllServiceJumpsButOnlyTheChangedChains() throws IOException {
        List<Service> before = SyntheticCluster.generate(20, 3, 1);
        Service old = before.get(7);
        Endpoint moved = SyntheticCluster.pod(60);
        Service changed = old.withEndpoint(0, moved);
        List<Service> after = before.stream().map(s -> s == old ? changed : s).toList();
        StringBuilder out = new StringBuilder();

        IptablesRuleSet.of(after).writePartialSync(out, changed, old);

        List<String> lines = out.toString().lines().toList();
        String staleChain = KubeProxyChains.endpointChain(old, old.endpoints().get(0));
        assertThat(lines).filteredOn(l -> l.startsWith("-A KUBE-SERVICES")).hasSize(21);
        assertThat(lines).filteredOn(l -> l.startsWith(":KUBE-SVC-"))
                .containsExactly(":" + KubeProxyChains.serviceChain(changed) + " - [0:0]");
        assertThat(lines).filteredOn(l -> l.contains("-j DNAT")).hasSize(3)
                .anyMatch(l -> l.endsWith("--to-destination " + moved));
        assertThat(lines).contains(":" + staleChain + " - [0:0]", "-X " + staleChain);
        assertThat(lines.get(lines.size() - 1)).isEqualTo("COMMIT");
    }

    @Test
    void writeFullSync_shuffledServices_writesServiceRulesInListOrderAsTheModelWalksThem() throws IOException {
        List<Service> services = SyntheticCluster.generate(50, 1, 7);
        StringBuilder out = new StringBuilder();
        IptablesRuleSet.of(services).writeFullSync(out);
        List<String> written = out.toString().lines()
                .filter(l -> l.startsWith("-A KUBE-SERVICES") && l.contains(" cluster IP"))
                .map(l -> l.replaceAll(".* -d (\\S+) .*", "$1"))
                .toList();

        assertThat(written).containsExactlyElementsOf(
                services.stream().map(s -> s.listener().address().getAddress().getHostAddress()).toList());
    }

    @Test
    void probability_remainingEndpoints_printsTenDecimalsAsKubeProxy() {
        assertThat(IptablesRuleSet.probability(3)).isEqualTo("0.3333333333");
        assertThat(IptablesRuleSet.probability(2)).isEqualTo("0.5000000000");
    }
}
