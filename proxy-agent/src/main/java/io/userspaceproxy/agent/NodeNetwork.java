package io.userspaceproxy.agent;

import com.uber.nullaway.annotations.Initializer;
import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.NodePortAddresses;
import io.userspaceproxy.agent.config.VipSettings;
import io.userspaceproxy.agent.healthcheck.ServiceHealthServer;
import io.userspaceproxy.agent.net.IpCommand;
import io.userspaceproxy.agent.net.NodeAddresses;
import io.userspaceproxy.agent.net.VipManager;
import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.sync.NodeContext;
import io.userspaceproxy.agent.sync.NodeTracker;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node exposes besides the listeners: the Service addresses on the VIP interface ({@link VipManager},
 * when enabled), the addresses NodePorts listen on, and the {@code healthCheckNodePort} servers.
 *
 * <p>Node addresses and Service addresses are kept apart both ways. NodePorts listen on the local addresses
 * inside {@code --nodeport-addresses} except the Service addresses the agent added (with the default
 * {@code 0.0.0.0/0,::/0} those are local too). And an address the node owns, on one of its interfaces or in its
 * Node object's {@code status.addresses}, is never added as a Service address, nor removed: a load-balancer IP that
 * is a node IP (as with k3s's ServiceLB) is already local.
 *
 * <p>Threading: everything but {@link #close()} runs on the sync thread.
 */
final class NodeNetwork implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeNetwork.class);

    private final AgentConfig config;
    private final NodeTracker node;
    private final @Nullable VipManager vips;
    /** Set by {@link #start}, which runs before any sync; read by {@link #afterSync}. */
    private BooleanSupplier proxyHealthy;
    private Runnable onHealthCheckBindFailure;
    private @Nullable ServiceHealthServer healthChecks;
    /** What {@code primary} last resolved to, to log a change once. Sync thread only. */
    private @Nullable List<InetAddress> reportedPrimary;

    NodeNetwork(AgentConfig config, NodeTracker node, IpCommand ip) {
        this.config = config;
        this.node = node;
        VipSettings v = config.vips();
        this.vips = v.enabled() ? new VipManager(ip, v.interfaceName(), v.stateFile()) : null;
    }

    /**
     * Prepares the VIP interface, keeping what an earlier run left until the first sync (see {@link VipManager}). The
     * health-check servers start at the first {@link #afterSync}, once the Node object (which
     * {@code --nodeport-addresses primary} may need) is known.
     *
     * @param proxyHealthy  the proxy's own health, which health checks report
     * @param onBindFailure counts a health-check port that could not be opened
     */
    @Initializer
    void start(BooleanSupplier proxyHealthy, Runnable onBindFailure) {
        if (vips != null) {
            vips.start();
            logInterface();
        }
        this.proxyHealthy = proxyHealthy;
        this.onHealthCheckBindFailure = onBindFailure;
    }

    /** The node set-up {@code --init-only} performs: the VIP interface, with an earlier run's leftovers removed. */
    void init() {
        if (vips != null) {
            vips.startClean();
            logInterface();
        }
    }

    private void logInterface() {
        VipManager manager = Objects.requireNonNull(vips, "called only when VIPs are enabled");
        log.info("Service addresses go on {} (state file {})", manager.device(), config.vips().stateFile());
    }

    /** The node as the snapshot builder sees it now: name, zone (from the Node object), NodePort addresses. */
    NodeContext nodeContext() {
        List<InetAddress> nodePorts = new ArrayList<>(NodeAddresses.within(nodePortCidrs()));
        if (vips != null) {
            nodePorts.removeAll(vips.owned());
        }
        return new NodeContext(config.nodeName(), node.zone(), nodePorts);
    }

    /** The {@code --nodeport-addresses} CIDRs, with {@code primary} resolved to this node's primary IPs now. */
    private List<Cidr> nodePortCidrs() {
        NodePortAddresses given = config.nodePortAddresses();
        if (!given.primary()) {
            return given.cidrs();
        }
        List<InetAddress> primary = primaryAddresses(config.bindAddress(),
                node.current().map(NodeInfo::hostIPs).orElse(List.of()), config.inCluster());
        if (!primary.equals(reportedPrimary)) {
            if (primary.isEmpty()) {
                log.warn("--nodeport-addresses primary: no primary IP known yet (no --bind-address, and Node {} has"
                        + " no InternalIP or ExternalIP); no NodePort is served on it until one is", config.nodeName());
            } else {
                log.info("--nodeport-addresses primary: {}", primary.stream().map(InetAddress::getHostAddress).toList());
            }
            reportedPrimary = primary;
        }
        List<Cidr> out = new ArrayList<>(given.cidrs());
        for (InetAddress a : primary) {
            out.add(Cidr.parse(a.getHostAddress() + (a instanceof Inet4Address ? "/32" : "/128")));
        }
        return out;
    }

    /**
     * What {@code primary} means, one IP per family, as kube-proxy resolves it at start ({@code detectNodeIPs}): the
     * Node object's primary IPs ({@code hostIPs}: InternalIP, else ExternalIP), with a specific {@code
     * --bind-address} replacing the one of its family; loopback addresses never count. With {@code --manifests} there
     * is no Node: {@code --bind-address} when given, else {@code 127.0.0.1}, this machine's only address a local dev
     * proxy can count on. On a cluster with neither, it is empty: kube-proxy would then fall back to every local
     * address, which opens NodePorts wider than asked, so the agent serves none on {@code primary} until it knows.
     */
    static List<InetAddress> primaryAddresses(InetAddress bindAddress, List<InetAddress> nodeHostIPs,
            boolean cluster) {
        InetAddress v4 = null;
        InetAddress v6 = null;
        for (InetAddress a : nodeHostIPs) {
            if (a instanceof Inet4Address) {
                v4 = v4 == null ? a : v4;
            } else {
                v6 = v6 == null ? a : v6;
            }
        }
        if (!bindAddress.isAnyLocalAddress()) {
            if (bindAddress instanceof Inet4Address) {
                v4 = bindAddress;
            } else {
                v6 = bindAddress;
            }
        }
        List<InetAddress> out = new ArrayList<>(2);
        for (InetAddress a : new InetAddress[] {v4, v6}) {
            if (a != null && !a.isLoopbackAddress()) {
                out.add(a);
            }
        }
        if (out.isEmpty() && !cluster) {
            out.add(IpAddresses.parse("127.0.0.1"));
        }
        return out;
    }

    /** Makes {@code serviceAddresses}, less the node's own addresses, the VIP interface's addresses. */
    void syncAddresses(Set<InetAddress> serviceAddresses) {
        if (vips == null) {
            return;
        }
        Set<InetAddress> wanted = new LinkedHashSet<>(serviceAddresses);
        wanted.removeAll(ownAddresses());
        vips.sync(wanted);
    }

    /** Opens and closes health-check ports for {@code ports} (per Service), and updates their answers. */
    void afterSync(Map<ObjectRef, Integer> ports, Map<ObjectRef, Integer> readyOnNode) {
        if (healthChecks == null) {
            healthChecks = ServiceHealthServer.start(healthCheckAddresses(nodePortCidrs()), proxyHealthy,
                    onHealthCheckBindFailure);
        }
        healthChecks.syncServices(ports);
        healthChecks.syncEndpoints(readyOnNode);
    }

    /**
     * The node's addresses: on its interfaces (less the Service addresses the agent added) and in its Node
     * object.
     */
    private Set<InetAddress> ownAddresses() {
        Set<InetAddress> own = new HashSet<>(NodeAddresses.local());
        own.removeAll(Objects.requireNonNull(vips, "called only when VIPs are enabled").owned());
        node.current().ifPresent(n -> own.addAll(n.addresses()));
        return own;
    }

    /**
     * kube-proxy's rule: with a {@code /0} among the NodePort CIDRs, the wildcard address (every address, both
     * families); otherwise each matching node address.
     */
    static List<InetAddress> healthCheckAddresses(List<Cidr> nodePortAddresses) {
        for (Cidr c : nodePortAddresses) {
            if (c.prefixLength() == 0) {
                return List.of();
            }
        }
        return NodeAddresses.within(nodePortAddresses);
    }

    /** Stops the health-check servers. Service addresses stay, as kube-proxy leaves its rules; see {@code --cleanup}. */
    @Override
    public void close() {
        if (healthChecks != null) {
            healthChecks.close();
        }
    }

    /**
     * {@code --init-only}: what the agent does to the node before it serves (the VIP interface created, an earlier
     * run's Service addresses removed), then nothing more; the exit status. Needs no API server: an init container
     * with full privileges can run it, and the agent itself then only needs {@code NET_ADMIN}.
     */
    static int initOnly(AgentConfig config, IpCommand ip) {
        if (!config.vips().enabled()) {
            log.info("init done: nothing to set up (Service addresses are not managed: --vip-interface none, or"
                    + " --manifests without --vip-interface)");
            return 0;
        }
        try {
            new NodeNetwork(config, new NodeTracker(), ip).init();
            log.info("init done: Service addresses go on {}; state file {}", config.vips().interfaceName(),
                    config.vips().stateFile());
            return 0;
        } catch (IpCommand.IpCommandException e) {
            log.error("init failed: {}", e.getMessage());
            return 1;
        }
    }

    /** {@code --cleanup}: removes every Service address, the dummy interface and the state file; the exit status. */
    static int cleanup(VipSettings settings, IpCommand ip) {
        try {
            new VipManager(ip, settings.interfaceName(), settings.stateFile()).cleanup();
            log.info("cleanup done: Service addresses on {} removed, state file {} deleted", settings.interfaceName(),
                    settings.stateFile());
            return 0;
        } catch (IpCommand.IpCommandException e) {
            log.error("cleanup failed: {}", e.getMessage());
            return 1;
        }
    }
}
