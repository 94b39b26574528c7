package io.userspaceproxy.agent.testing;

import io.userspaceproxy.agent.ProxyAgent;
import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.AgentOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Starts the agent in-process against an API server (fabric8's mock server) as a node would run it, through the
 * real command line: {@code --master} to the mock server, running as {@link ClusterObjects#NODE}, NodePorts and
 * health checks on {@code 127.0.0.1}, and no VIP interface (tests use 127.x Service addresses, which are local
 * already, and never touch the host's interfaces).
 */
public final class ClusterAgent {

    private ClusterAgent() {
    }

    /** The validated configuration for {@code masterUrl}, defaults first, then {@code extraArgs} (later wins). */
    public static AgentConfig config(String masterUrl, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--master", masterUrl, "--hostname-override", ClusterObjects.NODE,
                "--vip-interface", "none", "--min-sync-period", "0"));
        // A list flag given twice appends in picocli rather than replacing: the default goes only when not given.
        if (!List.of(extraArgs).contains("--nodeport-addresses")) {
            args.addAll(List.of("--nodeport-addresses", "127.0.0.1/32"));
        }
        args.addAll(List.of(extraArgs));
        AgentOptions options = new AgentOptions();
        new CommandLine(options).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(new String[0]));
        return AgentConfig.from(options);
    }

    /** Starts the agent and waits for its first sync (as {@link ProxyAgent#start} does). */
    public static ProxyAgent start(String masterUrl, String... extraArgs) throws Exception {
        return ProxyAgent.start(config(masterUrl, extraArgs));
    }
}
