package io.userspaceproxy.agent.config;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The command line of a node agent on a cluster: how to reach the API server, which Services to take, where the
 * Service addresses go, and {@code --cleanup}. Mixed into {@link AgentOptions}; spellings and defaults are
 * kube-proxy's where kube-proxy has the setting. Validated by {@link AgentConfig#from(AgentOptions)}.
 */
@SuppressWarnings("NullAway.Init") // picocli sets every option at each parse: its value, else its defaultValue
public final class KubernetesOptions {

    @Option(names = "--kubeconfig", paramLabel = "FILE",
            description = "Path to a kubeconfig file with the API server and credentials (its current context)."
                    + " Without it and --master, the in-cluster service account is used.")
    @Nullable Path kubeconfig;

    @Option(names = "--master", paramLabel = "URL",
            description = "The API server's address (overrides the kubeconfig's server).")
    @Nullable String master;

    @Option(names = "--config-sync-period", paramLabel = "DURATION", defaultValue = "15m",
            description = "How often the Service, EndpointSlice and Node caches are re-delivered in full (0 never)."
                    + " Default: ${DEFAULT-VALUE}.")
    String configSyncPeriod;

    @Option(names = "--kube-api-qps", paramLabel = "QPS", defaultValue = "5",
            description = "Sustained requests per second to the API server. Default: ${DEFAULT-VALUE}.")
    double kubeApiQps;

    @Option(names = "--kube-api-burst", paramLabel = "N", defaultValue = "10",
            description = "Requests that may go to the API server at once. Default: ${DEFAULT-VALUE}.")
    int kubeApiBurst;

    @Option(names = "--service-proxy-name", paramLabel = "NAME",
            description = "Serve only the Services labelled service.kubernetes.io/service-proxy-name=NAME (to run"
                    + " beside kube-proxy, which skips them). Without it, only Services without that label.")
    @Nullable String serviceProxyName;

    @Option(names = "--vip-interface", paramLabel = "NAME",
            description = "Add the ClusterIPs, external IPs and load-balancer IPs served to this interface (a dummy"
                    + " link the agent creates; lo where the kernel lacks dummy links). 'none' turns it off. Default:"
                    + " " + VipSettings.DEFAULT_INTERFACE + " on a cluster, off with --manifests.")
    @Nullable String vipInterface;

    @Option(names = "--vip-state-file", paramLabel = "FILE",
            description = "Where the addresses the agent added are recorded, for the next run and --cleanup."
                    + " Default: " + VipSettings.DEFAULT_STATE_FILE + ".")
    @Nullable Path vipStateFile;

    @Option(names = "--cleanup",
            description = "Remove every Service address the agent added, its interface and its state file, then"
                    + " exit.")
    boolean cleanup;

    @Option(names = "--init-only",
            description = "Set up the node and exit: create the VIP interface and remove the Service addresses an"
                    + " earlier run left (kube-proxy's flag, for an init container with full privileges).")
    boolean initOnly;
}
