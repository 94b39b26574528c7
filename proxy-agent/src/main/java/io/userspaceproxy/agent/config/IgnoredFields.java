package io.userspaceproxy.agent.config;

import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * The {@code KubeProxyConfiguration} fields (v1alpha1, through kube-proxy 1.35, plus the internal {@code linux} and
 * {@code windows} groups) that a userspace proxy reads but does not apply, each with the reason given in the
 * warning. A field set to its zero value ({@code null}, {@code ""}, {@code false}, {@code 0}, {@code 0s}, or a group
 * of such) is not reported: kubeadm writes every field that way, and kube-proxy defaults them the same.
 */
final class IgnoredFields {

    private static final String IPTABLES_ONLY = "iptables mode only";
    private static final String NO_MASQUERADE = "tells pod traffic from other traffic for masquerading rules, which a"
            + " userspace proxy does not write (its own socket is the source)";

    static final Map<String, String> TOP_LEVEL = Map.ofEntries(
            Map.entry("featureGates", "kube-proxy's gates choose among kube-proxy's code paths; this proxy implements"
                    + " each feature's GA behaviour (PreferSameNode, localhost NodePorts, ...)"),
            Map.entry("bindAddressHardFail", "a port in use is logged and counted, never fatal: the data plane keeps"
                    + " serving"),
            Map.entry("enableProfiling", "no /debug/pprof; use the JVM's profilers"),
            Map.entry("showHiddenMetricsForVersion", "no metric is hidden"),
            Map.entry("ipvs", "ipvs mode only"),
            Map.entry("nftables", "nftables mode only"),
            Map.entry("winkernel", "Windows only"),
            Map.entry("windowsRunAsService", "Windows only"),
            Map.entry("windows", "Windows only"),
            Map.entry("detectLocalMode", NO_MASQUERADE),
            Map.entry("detectLocal", NO_MASQUERADE),
            Map.entry("clusterCIDR", NO_MASQUERADE),
            Map.entry("oomScoreAdj", "set the OOM score in the pod spec; the JVM does not change its own"),
            Map.entry("conntrack", "no conntrack entries: the proxy holds its own connections and flows (see"
                    + " --udp-timeout and --tcp-idle-timeout)"),
            Map.entry("linux", "conntrack, masquerading and OOM score, none of which a userspace proxy sets"),
            Map.entry("portRange", "unused since kube-proxy 1.26, by kube-proxy too"),
            Map.entry("resourceContainer", "removed from kube-proxy"));

    static final Map<String, String> CLIENT = Map.of(
            "acceptContentTypes", "the agent's client speaks JSON",
            "contentType", "the agent's client speaks JSON");

    static final Map<String, String> IPTABLES = Map.of(
            "masqueradeAll", IPTABLES_ONLY,
            "masqueradeBit", IPTABLES_ONLY,
            "snatNodeInternalIP", IPTABLES_ONLY + "; a userspace proxy connects from the node's own addresses",
            "localhostNodePorts", IPTABLES_ONLY + "; here --nodeport-addresses alone decides whether NodePorts listen"
                    + " on loopback (localhost, or a CIDR with 127.0.0.1)");

    /** Optional booleans whose {@code false} is a choice, not the default: reported unless null. */
    private static final Set<String> FALSE_IS_A_CHOICE = Set.of("localhostNodePorts");

    static final Map<String, String> LOGGING = Map.of(
            "format", "logs are Logback's text lines",
            "flushFrequency", "Logback flushes every line",
            "options", "logs are Logback's text lines",
            "vmodule", "per-file verbosity is not supported; verbosity is",
            "featureGates", "logging feature gates are kube-proxy's");

    private IgnoredFields() {
    }

    /** True when field {@code name} holds its zero value, which kube-proxy's defaulting treats as unset. */
    static boolean isZero(String name, Node value) {
        return FALSE_IS_A_CHOICE.contains(name) ? YamlNodes.isEmpty(value) : isZero(value);
    }

    private static boolean isZero(Node node) {
        if (YamlNodes.isEmpty(node) || YamlNodes.isFalse(node)) {
            return true;
        }
        if (node instanceof ScalarNode s) {
            String text = s.getValue();
            return YamlNodes.isNumber(s) ? isZeroNumber(text)
                    : YamlNodes.isString(s) && (text.equals("0") || text.equals("0s"));
        }
        if (node instanceof MappingNode m) {
            return m.getValue().stream().map(NodeTuple::getValueNode).allMatch(IgnoredFields::isZero);
        }
        return false;
    }

    private static boolean isZeroNumber(String text) {
        try {
            return Double.parseDouble(text) == 0;
        } catch (NumberFormatException e) { // YAML 1.1 spellings such as 0x0 or 1_000; rarely zero, never worth a warning less
            return false;
        }
    }
}
