package io.userspaceproxy.agent.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The command line, bound by picocli. Flags keep kube-proxy's spellings where kube-proxy has the same setting.
 * Values are raw here; {@link AgentConfig#from(AgentOptions)} validates them into typed settings. Parse with
 * {@link #parse}, which applies the {@code --config} file.
 */
@Command(
        name = "userspace-proxy",
        mixinStandardHelpOptions = true,
        versionProvider = AgentVersion.class,
        sortOptions = false,
        usageHelpWidth = 110,
        description = {
            "A Kubernetes node proxy in userspace mode: listeners on every Service address relay TCP and UDP to the"
                    + " Service's endpoints.",
            "On a node: watches the API server (--kubeconfig, --master, or the in-cluster service account).",
            "Local dev proxy: --manifests DIR serves the Services and EndpointSlices in DIR's YAML files.",
            ""
        })
@SuppressWarnings("NullAway.Init") // picocli sets every option at each parse: its value, else its defaultValue
public final class AgentOptions {

    @Option(names = "--proxy-mode", paramLabel = "MODE", defaultValue = "userspace",
            description = "Which proxy mode to use. Only 'userspace' is supported. Default: ${DEFAULT-VALUE}.")
    String proxyMode;

    @Option(names = "--manifests", paramLabel = "DIR",
            description = "Serve the v1 Services, discovery.k8s.io/v1 EndpointSlices and v1 Endpoints in the YAML"
                    + " files of DIR (local dev proxy). Edits are applied within a second.")
    @Nullable Path manifests;

    @Option(names = "--hostname-override", paramLabel = "NAME",
            description = "The name of this node, for traffic policies Local and topology. Default: the host name.")
    @Nullable String hostnameOverride;

    @Option(names = "--nodeport-addresses", paramLabel = "CIDR", split = ",",
            description = "Serve NodePorts only on local addresses inside these CIDRs, or named by the keywords"
                    + " 'primary' (this node's primary IPs: --bind-address, else the Node object's InternalIP, one per"
                    + " family), 'localhost' (127.0.0.0/8,::1/128, TCP and UDP) and 'all'. Default: every local"
                    + " address (0.0.0.0/0,::/0); with --manifests, 127.0.0.0/8.")
    List<String> nodePortAddresses = new ArrayList<>();

    @Option(names = "--bind-address", paramLabel = "IP", defaultValue = "0.0.0.0",
            description = "This node's primary IP (0.0.0.0 or :: for any): decides the primary IP family."
                    + " Default: ${DEFAULT-VALUE}.")
    String bindAddress;

    @Option(names = "--udp-timeout", paramLabel = "DURATION", defaultValue = "250ms",
            description = "How long an idle UDP flow is kept open (e.g. 250ms, 5s, 1m30s). Default: ${DEFAULT-VALUE}.")
    String udpTimeout;

    @Option(names = "--tcp-idle-timeout", paramLabel = "DURATION", defaultValue = "1h",
            description = "Close a proxied TCP connection that moved no byte either way for this long; 0 disables."
                    + " Default: ${DEFAULT-VALUE}.")
    String tcpIdleTimeout;

    @Option(names = "--tcp-splice-threshold", paramLabel = "BYTES", defaultValue = "65536",
            description = "On epoll and io_uring, a TCP connection one of whose reads moved at least this many bytes"
                    + " is relayed with splice(2) from then on, its payload no longer copied through the JVM; 0"
                    + " disables."
                    + " Default: ${DEFAULT-VALUE}.")
    int tcpSpliceThreshold;

    @Option(names = "--transport", paramLabel = "auto|epoll|io_uring|nio", defaultValue = "auto",
            description = "Socket I/O of the data plane. io_uring (Linux 5.10+; default container seccomp profiles"
                    + " refuse it): a tenth to a third less CPU per new connection than epoll, splice(2) for bulk flows"
                    + " and socket hand-over at upgrades; its UDP runs on epoll loops beside it. epoll: splice(2)"
                    + " and hand-over too. nio: the JDK's, anywhere. auto: io_uring where a ring can be set up and"
                    + " epoll loads, else epoll, else nio; a named transport that cannot be had is an error."
                    + " Default: ${DEFAULT-VALUE}.")
    String transport;

    @Option(names = "--udp-receive-buffer", paramLabel = "BYTES", defaultValue = "4194304",
            description = "Kernel receive buffer of each UDP listener socket, so a burst waits in the kernel instead of"
                    + " being dropped (forced past net.core.rmem_max where permitted); 0 keeps the kernel's default."
                    + " Default: ${DEFAULT-VALUE}.")
    int udpReceiveBuffer;

    @Option(names = "--udp-gso", paramLabel = "true|false", arity = "0..1", defaultValue = "true",
            fallbackValue = "true",
            description = "Send a UDP flow's equal-sized datagrams read together as one GSO message per run (epoll,"
                    + " Linux 4.18+): the kernel routes and filters the run once and cuts it back into the same"
                    + " datagrams at the receiver. false sends each datagram on its own, for a network that mishandles"
                    + " GSO packets. Default: ${DEFAULT-VALUE}.")
    boolean udpGso;

    @Option(names = "--metrics-service-ports", paramLabel = "active|all|none", defaultValue = "active",
            description = "Which service ports get per-service-port series on /metrics: those that have seen traffic"
                    + " (zero counters left out), all (zeros included), or none. Default: ${DEFAULT-VALUE}.")
    String metricsServicePorts;

    @Option(names = "--max-udp-flows", paramLabel = "N", defaultValue = "65536",
            description = "At most this many live UDP flows; past it new flows are refused and counted."
                    + " Default: ${DEFAULT-VALUE}.")
    int maxUdpFlows;

    @Option(names = "--max-held-connections", paramLabel = "N", defaultValue = "10000",
            description = "At most this many TCP connections held on this node, across the Services annotated"
                    + " userspace-proxy.io/hold-when-empty, while they have no endpoint; past it new ones are reset"
                    + " at once (0 holds none). Default: ${DEFAULT-VALUE}.")
    int maxHeldConnections;

    @Option(names = "--min-sync-period", paramLabel = "DURATION", defaultValue = "1s",
            description = "Apply changes at most this often (0 applies every change at once)."
                    + " Default: ${DEFAULT-VALUE}.")
    String minSyncPeriod;

    @Option(names = "--sync-period", paramLabel = "DURATION", defaultValue = "30s",
            description = "Reconcile everything at least this often. Default: ${DEFAULT-VALUE}.")
    String syncPeriod;

    @Option(names = "--healthz-bind-address", paramLabel = "IP:PORT",
            description = "Serve /healthz and /livez here. Default: 127.0.0.1:10256 with --manifests (local dev),"
                    + " else 0.0.0.0:10256 as kube-proxy.")
    @Nullable String healthzBindAddress;

    @Option(names = "--metrics-bind-address", paramLabel = "IP:PORT", defaultValue = "127.0.0.1:10249",
            description = "Serve /metrics, /proxyMode, /configz and /connections here. Default: ${DEFAULT-VALUE}.")
    String metricsBindAddress;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "On SIGTERM, stop accepting and let open connections finish for at most this long, then"
                    + " close the rest and exit 0. Default: ${DEFAULT-VALUE}.")
    String drainTimeout;

    @Option(names = "--handover-socket", paramLabel = "PATH",
            description = "Unix socket through which an agent started with the same command line takes over this one's"
                    + " listening sockets, queued connections included, at an upgrade (and this one takes over from an"
                    + " agent already running); none disables it. Default: /run/userspace-proxy/handover-PORT.sock"
                    + " where that directory is writable, else in java.io.tmpdir; PORT is the metrics port (none when"
                    + " it is 0).")
    @Nullable String handoverSocket;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Read a kubeproxy.config.k8s.io/v1alpha1 KubeProxyConfiguration; flags given on the command"
                    + " line win over it.")
    @Nullable Path config;

    @Option(names = "--write-config-to", paramLabel = "FILE",
            description = "Write the effective configuration as a KubeProxyConfiguration to FILE and exit.")
    @Nullable Path writeConfigTo;

    @Option(names = "--demo",
            description = "Also start a small backend on every free loopback endpoint of the manifests, each saying"
                    + " who it is, and send a few requests through every ClusterIP to show the balancing.")
    boolean demo;

    @Option(names = {"-v", "--v"}, paramLabel = "N", defaultValue = "0", arity = "0..1", fallbackValue = "2",
            description = "Log verbosity like kube-proxy's: 0 info, 2 more, 4 debug, 6+ trace. Default: ${DEFAULT-VALUE}.")
    int verbosity;

    @Mixin
    KubernetesOptions kubernetes = new KubernetesOptions();

    @Spec
    @Nullable CommandSpec spec;

    /**
     * Parses {@code args} into {@code cli}'s options. When {@code --config} names a file, parses them again with
     * the file's values as picocli's defaults, so each option ends up holding the flag given on the command line,
     * else the file's value, else its own default; nothing is merged afterwards. The first pass only finds the
     * file: picocli applies defaults before it reads the arguments that would name it.
     *
     * @throws CommandLine.ParameterException for a bad command line, as {@link CommandLine#parseArgs} does
     * @throws ConfigFileException            when the file cannot be read or holds an unknown or bad field
     */
    public static ParseResult parse(CommandLine cli, String... args) throws ConfigFileException {
        ParseResult parsed = cli.parseArgs(args);
        Path file = parsed.matchedOptionValue("--config", null);
        if (file == null || parsed.isUsageHelpRequested() || parsed.isVersionHelpRequested()) {
            return parsed;
        }
        cli.setDefaultValueProvider(KubeProxyConfigurationFile.defaults(file));
        return cli.parseArgs(args);
    }

    /** True when {@code flag} was on the command line, rather than from {@code --config} or a default. */
    boolean onCommandLine(String flag) {
        ParseResult parsed = spec == null ? null : spec.commandLine().getParseResult();
        return parsed == null || parsed.hasMatchedOption(flag);
    }
}
