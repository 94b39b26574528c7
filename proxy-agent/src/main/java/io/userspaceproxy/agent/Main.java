package io.userspaceproxy.agent;

import io.userspaceproxy.agent.config.AgentConfig;
import io.userspaceproxy.agent.config.AgentOptions;
import io.userspaceproxy.agent.config.ConfigFileException;
import io.userspaceproxy.agent.config.KubeProxyConfigurationFile;
import io.userspaceproxy.agent.net.IpCommand;
import io.userspaceproxy.agent.process.Logging;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import sun.misc.Signal;

/**
 * Entry point: parses and validates the command line, then runs the agent until SIGTERM or SIGINT. A bad flag
 * exits with status 2 and a message naming it (picocli's convention for usage errors, as kube-proxy's).
 */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    static final int EXIT_USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        AgentOptions options = new AgentOptions();
        CommandLine cli = new CommandLine(options);
        AgentConfig config;
        try {
            if (CommandLine.executeHelpRequest(AgentOptions.parse(cli, args)) != null) {
                return 0;
            }
            config = AgentConfig.from(options);
        } catch (CommandLine.ParameterException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println("Run with --help for the flags.");
            return EXIT_USAGE;
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
        return runUntilStopped(config);
    }

    /** {@code --write-config-to}: writes the effective configuration, as kube-proxy does, and exits. */
    private static int writeConfig(AgentConfig config) {
        Path file = Objects.requireNonNull(config.writeConfigTo(), "called only with --write-config-to");
        try {
            KubeProxyConfigurationFile.write(config.toFileSettings(), file);
            System.err.println("wrote the effective configuration to " + file);
            return 0;
        } catch (IOException e) {
            System.err.println("error: cannot write " + file + ": " + e.getMessage());
            return 1;
        }
    }

    /**
     * Runs until SIGTERM or SIGINT, or until a new agent has taken over this one's sockets, then drains (see
     * {@link ProxyAgent#drain}), closes, and returns 0 whether or not connections had to be cut at the drain's end;
     * returns 1 when the agent could not start.
     *
     * <p>The two signals are taken from the JVM, which would otherwise start its shutdown at once and end with status
     * 128 + the signal's number. Here they only ask this thread to stop: the drain runs here, and the process then
     * exits normally, running every shutdown hook (logging's among them). Should the JVM shut down some other way,
     * a shutdown hook of the agent's own drains instead.
     */
    static int runUntilStopped(AgentConfig config) {
        ProxyAgent agent;
        try {
            agent = ProxyAgent.start(config);
        } catch (IOException | RuntimeException e) {
            log.error("cannot start: {}", e.toString(), e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        CompletableFuture<String> stop = new CompletableFuture<>();
        agent.handedOver().whenComplete((done, failure) -> stop.complete(failure == null
                ? "a new agent took over" : "waiting for a hand-over failed (" + failure + ")"));
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> stop.complete("SIG" + signal.getName()));
            } catch (IllegalArgumentException e) { // the JVM keeps it (-Xrs): its shutdown hook drains then
                log.warn("cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
        AtomicBoolean stopped = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drainAndClose(agent, config, stopped), "drain"));
        try {
            log.info("{}: draining, then exiting", stop.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the stop future is only ever completed normally", e);
        }
        drainAndClose(agent, config, stopped);
        return 0;
    }

    private static void drainAndClose(ProxyAgent agent, AgentConfig config, AtomicBoolean stopped) {
        if (stopped.compareAndSet(false, true)) {
            agent.drain(config.drainTimeout());
            agent.close();
        }
    }
}
