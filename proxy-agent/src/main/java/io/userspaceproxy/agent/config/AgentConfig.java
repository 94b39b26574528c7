package io.userspaceproxy.agent.config;

import io.userspaceproxy.agent.metrics.ServicePortSeries;
import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The agent's validated settings: typed values (durations, addresses, CIDRs), never raw strings. Built once from
 * the command line; every bad value fails with a message naming the flag, the value and what was expected.
 *
 * @param manifests         nullable: the manifest directory of the local dev proxy; null on a cluster, where the
 *                          API server is the source
 * @param nodeName          this node's name
 * @param nodePortAddresses CIDRs and keywords ({@code primary}, {@code localhost}, {@code all}) whose local
 *                          addresses serve NodePorts
 * @param bindAddress       this node's primary IP, or the any-address of its family
 * @param udpTimeout        default idle timeout of a UDP flow
 * @param tcpIdleTimeout    idle timeout of a TCP connection; zero disables it
 * @param maxUdpFlows       bound on live UDP flows
 * @param minSyncPeriod     least time between two syncs
 * @param syncPeriod        most time between two full syncs
 * @param demo              start demo backends and requests
 * @param verbosity         kube-proxy style log verbosity
 * @param healthzBindAddress where /healthz and /livez are served
 * @param metricsBindAddress where /metrics, /proxyMode, /configz and /connections are served
 * @param drainTimeout      how long open connections may finish after SIGTERM
 * @param writeConfigTo     write the effective configuration here and exit; {@code null} to run
 * @param api               nullable: how to reach the API server; null with {@code --manifests}
 * @param vips              whether and where the agent adds the Service addresses it serves
 * @param cleanup           {@code --cleanup}: remove what an earlier run added, then exit
 * @param initOnly          {@code --init-only}: set up the node (VIP interface, leftovers removed), then exit
 * @param tcpSpliceThreshold bytes one read must move for its TCP connection to switch to splice(2); 0 never
 * @param udpReceiveBuffer  kernel receive buffer of each UDP listener socket in bytes; 0 keeps the default
 * @param udpGso            whether UDP flows send runs of equal-sized datagrams as one GSO message each
 * @param metricsServicePorts which service ports get per-service-port series on {@code /metrics}
 * @param handoverSocket    nullable: the Unix socket of upgrade hand-overs (see {@link HandoverSocket}); null: none
 * @param maxHeldConnections bound on TCP connections held for Services with no endpoint ({@code hold-when-empty})
 * @param transport         the data plane's socket I/O, available on this machine
 */
public record AgentConfig(
        @Nullable Path manifests,
        String nodeName,
        NodePortAddresses nodePortAddresses,
        InetAddress bindAddress,
        Duration udpTimeout,
        Duration tcpIdleTimeout,
        int maxUdpFlows,
        Duration minSyncPeriod,
        Duration syncPeriod,
        boolean demo,
        int verbosity,
        InetSocketAddress healthzBindAddress,
        InetSocketAddress metricsBindAddress,
        Duration drainTimeout,
        @Nullable Path writeConfigTo,
        @Nullable KubeApiSettings api,
        VipSettings vips,
        boolean cleanup,
        boolean initOnly,
        int tcpSpliceThreshold,
        int udpReceiveBuffer,
        boolean udpGso,
        ServicePortSeries metricsServicePorts,
        @Nullable Path handoverSocket,
        int maxHeldConnections,
        Transport transport) {

    public static final String SUPPORTED_MODE = "userspace";

    public AgentConfig {
        Objects.requireNonNull(nodePortAddresses, "nodePortAddresses");
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(healthzBindAddress, "healthzBindAddress");
        Objects.requireNonNull(metricsBindAddress, "metricsBindAddress");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(vips, "vips");
        if (cleanup && initOnly) {
            throw new IllegalArgumentException("--cleanup and --init-only: both given (expected: one of them; --cleanup"
                    + " removes what --init-only sets up)");
        }
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
     * Validates the parsed command line. Where a value comes from is picocli's business, settled before this runs
     * (see {@link AgentOptions#parse}): a flag given on the command line, else the {@code --config} file's value,
     * else the flag's default.
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
        Duration udp = positive("--udp-timeout", parse("--udp-timeout", o.udpTimeout));
        Duration tcpIdle = nonNegative("--tcp-idle-timeout", parse("--tcp-idle-timeout", o.tcpIdleTimeout));
        Duration minSync = nonNegative("--min-sync-period", parse("--min-sync-period", o.minSyncPeriod));
        Duration sync = positive("--sync-period", parse("--sync-period", o.syncPeriod));
        Duration drain = nonNegative("--drain-timeout", parse("--drain-timeout", o.drainTimeout));
        atLeast("--tcp-splice-threshold", o.tcpSpliceThreshold, 0, ", 0 disables splicing");
        atLeast("--udp-receive-buffer", o.udpReceiveBuffer, 0, ", 0 keeps the kernel's default");
        atLeast("--max-udp-flows", o.maxUdpFlows, 1, "");
        atLeast("--max-held-connections", o.maxHeldConnections, 0, ", 0 holds none");
        atLeast("--v", o.verbosity, 0, "");
        InetAddress bind = address("--bind-address", o.bindAddress);
        InetSocketAddress healthz = healthz(o.healthzBindAddress, cluster);
        InetSocketAddress metrics = hostPort("--metrics-bind-address", o.metricsBindAddress);
        return new AgentConfig(o.manifests, nodeName(o.hostnameOverride), nodePortAddresses(o.nodePortAddresses,
                cluster), bind, udp, tcpIdle, o.maxUdpFlows, minSync, sync, o.demo, o.verbosity, healthz, metrics,
                drain, o.writeConfigTo,
                cluster ? KubeApiSettings.from(o.kubernetes) : null, VipSettings.from(o.kubernetes, cluster),
                o.kubernetes.cleanup, o.kubernetes.initOnly, o.tcpSpliceThreshold, o.udpReceiveBuffer, o.udpGso,
                ServicePortSeries.parse(o.metricsServicePorts), HandoverSocket.resolve(o.handoverSocket, metrics),
                o.maxHeldConnections, transport(o.transport));
    }

    /** {@code --transport}: one this machine can run, or an error naming why not. */
    private static Transport transport(String value) {
        try {
            return Transport.parse(value).requireAvailable();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("--transport: " + e.getMessage(), e);
        }
    }

    private static void atLeast(String flag, int value, int least, String note) {
        if (value < least) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: >= " + least + note + ")");
        }
    }

    /** {@code --healthz-bind-address}, whose default depends on the source: every address on a cluster. */
    private static InetSocketAddress healthz(@Nullable String value, boolean cluster) {
        return hostPort("--healthz-bind-address", value != null ? value : cluster ? "0.0.0.0:10256"
                : "127.0.0.1:10256");
    }

    /** {@code --manifests} is the source: it must be a directory, and no API server flag may compete with it. */
    private static void requireManifestsOnly(AgentOptions o) {
        boolean kubeconfig = o.kubernetes.kubeconfig != null && o.onCommandLine("--kubeconfig");
        if (kubeconfig || o.kubernetes.master != null) {
            throw new IllegalArgumentException("--manifests and " + (kubeconfig ? "--kubeconfig"
                    : "--master") + ": both given (expected: one source, either --manifests DIR for the local dev"
                    + " proxy or the API server through --kubeconfig/--master)");
        }
        if (o.kubernetes.serviceProxyName != null) {
            throw new IllegalArgumentException("--service-proxy-name: only applies to Services from the API server"
                    + " (expected: no --manifests)");
        }
        if (!Files.isDirectory(Objects.requireNonNull(o.manifests, "called only with --manifests"))) {
            throw new IllegalArgumentException("--manifests: " + o.manifests + " (expected: an existing directory)");
        }
    }

    /** The settings a {@code --write-config-to} file holds: every field that has a kube-proxy spelling. */
    public KubeProxyFileSettings toFileSettings() {
        KubeProxyFileSettings.Builder b = KubeProxyFileSettings.builder()
                .mode(SUPPORTED_MODE)
                .hostnameOverride(nodeName)
                .bindAddress(bindAddress)
                .healthzBindAddress(healthzBindAddress)
                .metricsBindAddress(metricsBindAddress)
                .nodePortAddresses(nodePortAddresses.given())
                .syncPeriod(syncPeriod)
                .udpIdleTimeout(udpTimeout);
        if (api != null) {
            b.qps(api.qps()).burst(api.burst()).configSyncPeriod(api.configSyncPeriod());
            if (api.kubeconfig() != null) {
                b.kubeconfig(api.kubeconfig());
            }
        }
        if (!minSyncPeriod.isZero()) {
            b.minSyncPeriod(minSyncPeriod);
        }
        if (verbosity > 0) {
            b.verbosity(verbosity);
        }
        return b.build();
    }

    private static InetSocketAddress hostPort(String flag, String value) {
        try {
            return HostPort.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }

    /** Every local address on a cluster (kube-proxy's default), loopback ones with {@code --manifests}. */
    private static NodePortAddresses nodePortAddresses(List<String> values, boolean cluster) {
        List<String> defaults = cluster ? List.of("0.0.0.0/0", "::/0") : List.of("127.0.0.0/8");
        try {
            return NodePortAddresses.parse(values.isEmpty() ? defaults : values);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--nodeport-addresses: " + e.getMessage(), e);
        }
    }

    private static InetAddress address(String flag, String value) {
        try {
            return IpAddresses.parse(value.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
    }

    private static String nodeName(@Nullable String override) {
        String env = System.getenv("NODE_NAME");
        String given = override != null && !override.isBlank() ? override : env != null && !env.isBlank() ? env : null;
        if (given != null) {
            return given.trim().toLowerCase(java.util.Locale.ROOT);
        }
        // The kernel's host name, as Go's os.Hostname() reads it: no DNS lookup at start-up.
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim().toLowerCase(java.util.Locale.ROOT);
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private static Duration positive(String flag, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(flag + ": " + GoDuration.format(d) + " (expected: > 0)");
        }
        return d;
    }

    private static Duration nonNegative(String flag, Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(flag + ": " + GoDuration.format(d) + " (expected: >= 0)");
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
