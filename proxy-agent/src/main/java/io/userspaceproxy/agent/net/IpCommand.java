package io.userspaceproxy.agent.net;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs iproute2's {@code ip} as a process with an argument vector (never through a shell), optionally in a named
 * network namespace ({@code ip -n NS}). Address changes go through {@code ip -batch -} on standard input, so a
 * sync that adds or removes a thousand addresses costs one process. Blocking: call it from the sync thread only.
 */
public class IpCommand {

    private static final long TIMEOUT_SECONDS = 30;

    private final @Nullable String netns;

    /** {@code ip} in the agent's own namespace. */
    public IpCommand() {
        this(null);
    }

    /** {@code ip -n netns}; {@code null} for the agent's own namespace. */
    public IpCommand(@Nullable String netns) {
        this.netns = netns;
    }

    /** Runs {@code ip ARGS...} and returns its standard output. */
    public String run(String... args) {
        return exec(List.of(args), null);
    }

    /** Runs {@code ip -batch -} with one command per line (no {@code ip} prefix on the lines). */
    public void batch(List<String> lines) {
        if (!lines.isEmpty()) {
            exec(List.of("-batch", "-"), String.join("\n", lines) + "\n");
        }
    }

    private String exec(List<String> args, @Nullable String stdin) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        if (netns != null) {
            cmd.add("-n");
            cmd.add(netns);
        }
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IpCommandException(String.join(" ", cmd) + ": no answer in " + TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new IpCommandException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out.trim());
            }
            return out;
        } catch (IOException e) {
            throw new IpCommandException(String.join(" ", cmd) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IpCommandException(String.join(" ", cmd) + ": interrupted");
        }
    }

    /** An {@code ip} invocation failed; the message holds the command and what it printed. */
    public static final class IpCommandException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public IpCommandException(String message) {
            super(message);
        }
    }
}
