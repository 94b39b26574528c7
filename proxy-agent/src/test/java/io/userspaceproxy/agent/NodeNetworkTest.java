package io.userspaceproxy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.AgentOptions;
import io.userspaceproxy.agent.config.VipSettings;
import io.userspaceproxy.agent.net.IpCommand;
import io.userspaceproxy.agent.net.NodeAddresses;
import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.agent.sync.NodeContext;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Node addresses and Service addresses kept apart, against a fake {@code ip} (no dummy links, like this kernel). */
class NodeNetworkTest {

    @TempDir
    Path tmp;

    private final FakeIp ip = new FakeIp();
    private final NodeTracker node = new NodeTracker();

    /** Addresses on {@code lo} only; the dummy link type is missing, so the VIP manager falls back to lo. */
    static final class FakeIp extends IpCommand {
        final Set<String> vips = new LinkedHashSet<>();
        final List<String> batches = new ArrayList<>();

        @Override
        public String run(String... args) {
            String cmd = String.join(" ", args);
            if (cmd.equals("link show dev lo")) {
                return "1: lo";
            }
            if (cmd.startsWith("link")) {
                throw new IpCommandException(cmd + ": no dummy links here");
            }
            StringBuilder out = new StringBuilder("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n");
            vips.forEach(a -> out.append("1: lo    inet ").append(a).append("/32 scope global lo:usp\\ valid_lft\n"));
            return out.toString();
        }

        @Override
        public void batch(List<String> lines) {
            batches.addAll(lines);
            for (String line : lines) {
                String[] w = line.split(" ");
                String address = w[2].substring(0, w[2].indexOf('/'));
                if (w[1].equals("add")) {
                    vips.add(address);
                } else {
                    vips.remove(address);
                }
            }
        }
    }

    private NodeNetwork network(String... extra) {
        List<String> args = new ArrayList<>(List.of("--hostname-override", "node-a", "--vip-interface", "usproxy0",
                "--vip-state-file", tmp.resolve("vips").toString()));
        args.addAll(List.of(extra));
        AgentOptions options = new AgentOptions();
        new CommandLine(options).parseArgs(args.toArray(new String[0]));
        AgentConfig config = AgentConfig.from(options);
        NodeNetwork n = new NodeNetwork(config, node, ip);
        n.start(() -> true, () -> { });
        return n;
    }

    @Test
    void syncAddresses_nodesOwnAddresses_neverAdded() {
        InetAddress nodeObjectIp = IpAddresses.parse("192.0.2.10");
        node.onNodeUpserted(new NodeInfo("node-a", null, List.of(nodeObjectIp), false, List.of()));
        Set<InetAddress> wanted = new LinkedHashSet<>(List.of(IpAddresses.parse("10.96.0.1"), nodeObjectIp));
        InetAddress interfaceIp = NodeAddresses.local().stream()
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst().orElse(null);
        if (interfaceIp != null) {
            wanted.add(interfaceIp);
        }
        try (NodeNetwork n = network()) {
            n.syncAddresses(wanted);
        }

        assertThat(ip.vips).containsExactly("10.96.0.1");
    }

    @Test
    void nodeContext_zoneFromNodeObject_nodePortsNotOnServiceAddresses() {
        node.onNodeUpserted(new NodeInfo("node-a", "zone-1", List.of(), false, List.of()));
        try (NodeNetwork n = network("--nodeport-addresses", "127.0.0.0/8")) {
            n.syncAddresses(Set.of(IpAddresses.parse("10.96.0.1")));
            NodeContext context = n.nodeContext();

            assertThat(context.nodeName()).isEqualTo("node-a");
            assertThat(context.zone()).isEqualTo("zone-1");
            assertThat(context.nodePortAddresses()).contains(IpAddresses.parse("127.0.0.1"))
                    .doesNotContain(IpAddresses.parse("10.96.0.1"));
        }
    }

    @Test
    void start_leftoversOfAnEarlierRun_removedByTheFirstSync_andCleanupRemovesTheRest() {
        ip.vips.add("10.96.0.9");
        try (NodeNetwork n = network()) {
            assertThat(ip.vips).as("an old agent may still serve on it: kept until the first sync")
                    .containsExactly("10.96.0.9");
            n.syncAddresses(Set.of(IpAddresses.parse("10.96.0.1")));
            assertThat(ip.vips).as("labelled lo:usp, so ours: removed once not wanted").containsExactly("10.96.0.1");
        }
        assertThat(ip.vips).as("stopping leaves Service addresses in place, as kube-proxy leaves its rules")
                .containsExactly("10.96.0.1");

        int status = NodeNetwork.cleanup(new VipSettings(true, "usproxy0", tmp.resolve("vips")), ip);

        assertThat(status).isZero();
        assertThat(ip.vips).isEmpty();
        assertThat(tmp.resolve("vips")).doesNotExist();
    }

    @Test
    void primaryAddresses_kubeProxysRule_nodeHostIpsWithBindAddressOverridingItsFamily() {
        InetAddress v4 = IpAddresses.parse("192.0.2.10");
        InetAddress v6 = IpAddresses.parse("2001:db8::10");
        InetAddress any = IpAddresses.parse("0.0.0.0");

        assertThat(NodeNetwork.primaryAddresses(any, List.of(v4, v6), true)).containsExactly(v4, v6);
        assertThat(NodeNetwork.primaryAddresses(IpAddresses.parse("198.51.100.7"), List.of(v4, v6), true))
                .containsExactly(IpAddresses.parse("198.51.100.7"), v6);
        assertThat(NodeNetwork.primaryAddresses(IpAddresses.parse("::"), List.of(v6), true)).containsExactly(v6);
        assertThat(NodeNetwork.primaryAddresses(any, List.of(IpAddresses.parse("127.0.0.1")), true))
                .as("loopback never counts, as in kube-proxy").isEmpty();
        assertThat(NodeNetwork.primaryAddresses(any, List.of(), true)).as("no Node yet: nothing").isEmpty();
        assertThat(NodeNetwork.primaryAddresses(any, List.of(), false)).as("--manifests: loopback stands in")
                .containsExactly(IpAddresses.parse("127.0.0.1"));
        assertThat(NodeNetwork.primaryAddresses(IpAddresses.parse("10.1.2.3"), List.of(), false))
                .containsExactly(IpAddresses.parse("10.1.2.3"));
    }

    @Test
    void nodeContext_primaryAndLocalhost_loopbackFromLocalhostOnly() {
        node.onNodeUpserted(new NodeInfo("node-a", null, List.of(IpAddresses.parse("192.0.2.10")), false, List.of()));
        try (NodeNetwork primaryOnly = network("--nodeport-addresses", "primary");
                NodeNetwork withLocalhost = network("--nodeport-addresses", "primary,localhost")) {
            assertThat(primaryOnly.nodeContext().nodePortAddresses())
                    .as("192.0.2.10 is not local here, and primary never means loopback").isEmpty();
            assertThat(withLocalhost.nodeContext().nodePortAddresses()).contains(IpAddresses.parse("127.0.0.1"));
        }
    }

    @Test
    void nodeInfo_hostIPs_firstAddressThenFirstOfTheOtherFamily() {
        assertThat(NodeInfo.hostIPs(List.of(IpAddresses.parse("10.0.0.1"), IpAddresses.parse("10.0.0.2"),
                IpAddresses.parse("fd00::1"), IpAddresses.parse("fd00::2"))))
                .containsExactly(IpAddresses.parse("10.0.0.1"), IpAddresses.parse("fd00::1"));
    }

    @Test
    void initOnly_leftoversOfAnEarlierRun_removed_exitZero_nothingAddedNorServed() {
        ip.vips.add("10.96.0.9");
        AgentOptions options = new AgentOptions();
        new CommandLine(options).parseArgs("--init-only", "--hostname-override", "node-a", "--vip-interface",
                "usproxy0", "--vip-state-file", tmp.resolve("vips").toString());

        int status = NodeNetwork.initOnly(AgentConfig.from(options), ip);

        assertThat(status).isZero();
        assertThat(ip.vips).isEmpty();
        assertThat(tmp.resolve("vips")).exists();
    }

    @Test
    void healthCheckAddresses_catchAllCidr_wildcard_otherwiseTheNodeAddresses() {
        assertThat(NodeNetwork.healthCheckAddresses(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::/0")))).isEmpty();
        assertThat(NodeNetwork.healthCheckAddresses(List.of(Cidr.parse("127.0.0.1/32"))))
                .containsExactly(IpAddresses.parse("127.0.0.1"));
    }
}
