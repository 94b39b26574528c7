package io.userspaceproxy.agent.config;

import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The agent's validated settings: typed values (durations, addresses, CIDRs), never raw strings. Built once from
 * the command line; every bad value fails with a message naming the flag, the value and what was expected.
 *
 * @param manifests         nullable: the manifest directory of the local dev proxy; null on a cluster, where the
 *                          API server is the source
 * @param nodeName          this node's name
 * @param nodePortAddresses prefixes whose local addresses serve NodePorts
 * @param bindAddress       this node's primary IP, or the any-address of its family
 * @param udpTimeout        default idle timeout of a UDP flow
 * @param tcpIdleTimeout    idle timeout of a TCP connection; zero disables it
 * @param maxUdpFlows       bound on live UDP flows
 * @param minSyncPeriod     least time between two syncs
 * @param syncPeriod        most time between two full syncs
 * @param demo              start demo backends and requests
 * @param verbosity         kube-proxy style log verbosity
 * @param api               nullable: how to reach the API server; null with {@code --manifests}
 * @param vips              whether and where the agent adds the Service addresses it serves
 * @param cleanup           {@code --cleanup}: remove what an earlier run added, then exit
 */
public record AgentConfig(
        Path manifests,
        String nodeName,
        List<Cidr> nodePortAddresses,
        InetAddress bindAddress,
        Duration udpTimeout,
        Duration tcpIdleTimeout,
        int maxUdpFlows,
        Duration minSyncPeriod,
        Duration syncPeriod,
        boolean demo,
        int verbosity,
        KubeApiSettings api,
        VipSettings vips,
        boolean cleanup) {

    public static final String SUPPORTED_MODE = "userspace";

    public AgentConfig {
        nodePortAddresses = List.copyOf(nodePortAddresses);
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(vips, "vips");
        if ((manifests == null) == (api == null)) {
            throw new IllegalArgumentException("manifests " + manifests + ", api " + api
                    + " (expected: exactly one source)");
        }
    }

    /** True when the API server is the source (no {@code --manifests}). */
    public boolean inCluster() {
        return api != null;
    }

    /**
     * Validates the command line.
     *
     * @throws IllegalArgumentException naming the flag, the value and what was expected
     */
    public static AgentConfig from(AgentOptions o) {
        if (!SUPPORTED_MODE.equals(o.proxyMode)) {
            throw new IllegalArgumentException("--proxy-mode: \"" + o.proxyMode + "\" is not supported (expected: "
                    + SUPPORTED_MODE + ", the only mode this proxy implements)");
        }
        boolean cluster = o.manifests == null;
        if (!cluster) {
            requireManifestsOnly(o);
        }
        Duration udp = positive("--udp-timeout", o.udpTimeout);
        Duration tcpIdle = nonNegative("--tcp-idle-timeout", o.tcpIdleTimeout);
        Duration minSync = nonNegative("--min-sync-period", o.minSyncPeriod);
        Duration sync = positive("--sync-period", o.syncPeriod);
        if (o.maxUdpFlows < 1) {
            throw new IllegalArgumentException("--max-udp-flows: " + o.maxUdpFlows + " (expected: >= 1)");
        }
        if (o.verbosity < 0) {
            throw new IllegalArgumentException("--v: " + o.verbosity + " (expected: >= 0)");
        }
        return new AgentConfig(o.manifests, nodeName(o.hostnameOverride), cidrs(o.nodePortAddresses, cluster),
                address("--bind-address", o.bindAddress), udp, tcpIdle, o.maxUdpFlows, minSync, sync, o.demo,
                o.verbosity, cluster ? KubeApiSettings.from(o.kubernetes) : null,
                VipSettings.from(o.kubernetes, cluster), o.kubernetes.cleanup);
    }

    /** {@code --manifests} is the source: it must be a directory, and no API server flag may compete with it. */
    private static void requireManifestsOnly(AgentOptions o) {
        if (o.kubernetes.kubeconfig != null || o.kubernetes.master != null) {
            throw new IllegalArgumentException("--manifests and " + (o.kubernetes.kubeconfig != null ? "--kubeconfig"
                    : "--master") + ": both given (expected: one source, either --manifests DIR for the local dev"
                    + " proxy or the API server through --kubeconfig/--master)");
        }
        if (o.kubernetes.serviceProxyName != null) {
            throw new IllegalArgumentException("--service-proxy-name: only applies to Services from the API server"
                    + " (expected: no --manifests)");
        }
        if (!Files.isDirectory(o.manifests)) {
            throw new IllegalArgumentException("--manifests: " + o.manifests + " (expected: an existing directory)");
        }
    }

    /** Every local address on a cluster (kube-proxy's default), loopback ones with {@code --manifests}. */
    private static List<Cidr> cidrs(List<String> values, boolean cluster) {
        List<String> defaults = cluster ? List.of("0.0.0.0/0", "::/0") : List.of("127.0.0.0/8");
        List<String> given = values.isEmpty() ? defaults : values;
        List<Cidr> out = new ArrayList<>();
        for (String v : given) {
            try {
                out.add(Cidr.parse(v.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--nodeport-addresses: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static InetAddress address(String flag, String value) {
        try {
            return IpAddresses.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }

    private static String nodeName(String override) {
        if (override != null && !override.isBlank()) {
            return override.trim().toLowerCase(java.util.Locale.ROOT);
        }
        String env = System.getenv("NODE_NAME");
        if (env != null && !env.isBlank()) {
            return env.trim().toLowerCase(java.util.Locale.ROOT);
        }
        // The kernel's host name, as Go's os.Hostname() reads it: no DNS lookup at start-up.
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim().toLowerCase(java.util.Locale.ROOT);
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private static Duration positive(String flag, String value) {
        Duration d = parse(flag, value);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: > 0)");
        }
        return d;
    }

    private static Duration nonNegative(String flag, String value) {
        Duration d = parse(flag, value);
        if (d.isNegative()) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: >= 0)");
        }
        return d;
    }

    private static Duration parse(String flag, String value) {
        try {
            return GoDuration.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }
}
