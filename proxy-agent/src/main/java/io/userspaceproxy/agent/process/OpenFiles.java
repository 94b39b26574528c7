package io.userspaceproxy.agent.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open-files limit, raised at start as far as allowed: every proxied TCP connection holds two descriptors and
 * every UDP flow one, and the legacy userspace proxier never recovered once it ran out. HotSpot already lifts the
 * soft limit to the hard one on Linux ({@code -XX:+MaxFDLimit}, the default); where that did not happen (the flag
 * is off, or the limit was lowered after start), the soft limit is raised with util-linux's {@code prlimit} on this
 * process. The outcome is logged either way, so an operator sees the ceiling next to {@code --max-udp-flows}.
 */
public final class OpenFiles {

    private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);
    private static final Path LIMITS = Path.of("/proc/self/limits");

    /** Soft and hard limits; {@link Long#MAX_VALUE} stands for {@code unlimited}. */
    public record Limits(long soft, long hard) {
    }

    private OpenFiles() {
    }

    /** Raises the soft limit to the hard one if it is lower, and returns (and logs) what the process has now. */
    public static Optional<Limits> raise() {
        Optional<Limits> before = read();
        if (before.isEmpty()) {
            log.warn("cannot read the open-files limit from {}", LIMITS);
            return before;
        }
        Limits now = before.get();
        if (now.soft() < now.hard()) {
            String hard = now.hard() == Long.MAX_VALUE ? "unlimited" : Long.toString(now.hard());
            runPrlimit(hard);
            now = read().orElse(now);
        }
        if (now.soft() < now.hard()) {
            log.warn("open-files limit: {} (could not raise it to the hard limit {})", now.soft(), now.hard());
        } else {
            log.info("open-files limit: {}{}", format(now.soft()),
                    before.get().soft() < now.soft() ? " (raised from " + before.get().soft() + ")" : "");
        }
        return Optional.of(now);
    }

    /**
     * How many listening sockets the listeners may hold: half the soft limit (at least 64), so that at tens of
     * thousands of Services the rest stays for connections and flows; unbounded when the limit is unknown or
     * unlimited.
     */
    public static int listenerSocketBudget(Optional<Limits> limits) {
        return limits.map(l -> (int) Math.max(64, Math.min(Integer.MAX_VALUE, l.soft() / 2)))
                .orElse(Integer.MAX_VALUE);
    }

    static Optional<Limits> read() {
        try {
            return parse(Files.readString(LIMITS));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Parses the {@code Max open files  SOFT  HARD  files} line of {@code /proc/<pid>/limits}. */
    static Optional<Limits> parse(String limits) {
        return limits.lines()
                .filter(l -> l.startsWith("Max open files"))
                .findFirst()
                .map(l -> l.substring("Max open files".length()).trim().split("\\s+"))
                .filter(w -> w.length >= 2)
                .map(w -> new Limits(value(w[0]), value(w[1])));
    }

    private static long value(String word) {
        return "unlimited".equals(word) ? Long.MAX_VALUE : Long.parseLong(word);
    }

    private static String format(long value) {
        return value == Long.MAX_VALUE ? "unlimited" : Long.toString(value);
    }

    private static void runPrlimit(String hard) {
        String pid = Long.toString(ProcessHandle.current().pid());
        try {
            Process p = new ProcessBuilder("prlimit", "--pid", pid, "--nofile=" + hard + ":" + hard)
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                log.debug("prlimit did not raise the open-files limit: {}", out);
            }
        } catch (IOException e) {
            log.debug("prlimit is not available: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Raises and prints the limit; lets a test check the raise from a process started with a low soft limit. */
    public static void main(String[] args) {
        raise().ifPresent(l -> System.out.println("soft=" + format(l.soft()) + " hard=" + format(l.hard())));
    }
}
