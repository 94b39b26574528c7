package io.userspaceproxy.agent;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.AgentOptions;
import io.userspaceproxy.agent.config.ConfigFileException;
import io.userspaceproxy.agent.config.KubeProxyConfigurationFile;
import io.userspaceproxy.agent.net.IpCommand;
import java.io.IOException;
import picocli.CommandLine;

/**
 * Entry point: parses and validates the command line, then runs the agent until SIGTERM or SIGINT. A bad flag
 * exits with status 2 and a message naming it (picocli's convention for usage errors, as kube-proxy's).
 */
public final class Main {

    static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        AgentOptions options = new AgentOptions();
        CommandLine cli = new CommandLine(options);
        CommandLine.ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
            if (CommandLine.executeHelpRequest(parsed) != null) {
                return 0;
            }
        } catch (CommandLine.ParameterException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("Run with --help for the flags.");
            return EXIT_USAGE;
        }
        AgentConfig config;
        try {
            config = AgentConfig.load(options, parsed::hasMatchedOption);
        } catch (ConfigFileException | IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        }
        Logging.setVerbosity(config.verbosity());
        if (config.writeConfigTo() != null) {
            return writeConfig(config);
        }
        if (config.cleanup()) {
            return NodeNetwork.cleanup(config.vips(), new IpCommand());
        }
        if (config.initOnly()) {
            return NodeNetwork.initOnly(config, new IpCommand());
        }
        return ProxyAgent.runUntilStopped(config);
    }

    /** {@code --write-config-to}: writes the effective configuration, as kube-proxy does, and exits. */
    private static int writeConfig(AgentConfig config) {
        try {
            KubeProxyConfigurationFile.write(config.toFileSettings(), config.writeConfigTo());
            System.err.println("wrote the effective configuration to " + config.writeConfigTo());
            return 0;
        } catch (IOException e) {
            System.err.println("error: cannot write " + config.writeConfigTo() + ": " + e.getMessage());
            return 1;
        }
    }
}
