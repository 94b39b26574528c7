package io.userspaceproxy.agent.testing;

import io.userspaceproxy.agent.ProxyAgent;
import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.AgentOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Starts the agent in-process as the local dev proxy on a manifest directory, through the real command line: every
 * change applied at once ({@code --min-sync-period 0}) and the health and metrics servers on free loopback ports,
 * so tests can run side by side. The counterpart of {@link ClusterAgent}.
 */
public final class ManifestAgent {

    private ManifestAgent() {
    }

    /** Starts the agent on {@code directory} and waits for its first sync; {@code extraArgs} come last and win. */
    public static ProxyAgent start(Path directory, String... extraArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("--manifests", directory.toString(), "--min-sync-period", "0",
                "--healthz-bind-address", "127.0.0.1:0", "--metrics-bind-address", "127.0.0.1:0"));
        args.addAll(List.of(extraArgs));
        AgentOptions options = new AgentOptions();
        new CommandLine(options).setOverwrittenOptionsAllowed(true).parseArgs(args.toArray(new String[0]));
        return ProxyAgent.start(AgentConfig.from(options));
    }
}
