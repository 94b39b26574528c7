package io.userspaceproxy.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace that a test creates and removes: the only place, besides loopback, where tests may send
 * traffic. Every process started in it is remembered and ended by its PID when the namespace closes, and the
 * namespace's veth ends go with it.
 */
public final class Netns implements AutoCloseable {

    private final String name;
    private final List<Process> processes = new ArrayList<>();

    private Netns(String name) {
        this.name = name;
    }

    /**
     * Skips the calling test when namespaces cannot be made here (not root, no iproute2), except under CI
     * ({@code CI=true}), where such a test must fail instead: CI runs as root and must run them.
     */
    public static void assumeAvailable() {
        CiPrerequisite.check("network-namespace tests", unavailableReason());
    }

    private static String unavailableReason() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS) || !"0".equals(uid)) {
                return "they need root (uid is " + uid + ")";
            }
            Process ip = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            ip.getInputStream().readAllBytes();
            if (!ip.waitFor(5, TimeUnit.SECONDS) || ip.exitValue() != 0) {
                return "`ip netns` does not work";
            }
            return null;
        } catch (IOException e) {
            return "iproute2 is missing (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Creates a namespace named {@code prefix-<random>} with its loopback up. */
    public static Netns create(String prefix) {
        String name = prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        run("ip", "netns", "add", name);
        Netns ns = new Netns(name);
        ns.ip("link", "set", "lo", "up");
        return ns;
    }

    /**
     * Joins two namespaces with a veth pair and gives each end an address ({@code 10.244.1.1/24} style).
     * Interface names must be at most 15 characters.
     */
    public static void link(Netns a, String aIf, String aCidr, Netns b, String bIf, String bCidr) {
        a.ip("link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b.name);
        a.ip("addr", "add", aCidr, "dev", aIf);
        b.ip("addr", "add", bCidr, "dev", bIf);
        a.ip("link", "set", aIf, "up");
        b.ip("link", "set", bIf, "up");
    }

    /**
     * Joins the test's own (root) namespace to {@code ns} with a veth pair of the given MTU, for a test whose
     * in-process sockets must reach an address inside the namespace. The pair goes when the namespace is deleted.
     */
    public static void linkFromRoot(String rootIf, String rootCidr, Netns ns, String nsIf, String nsCidr, int mtu) {
        run("ip", "link", "add", rootIf, "mtu", String.valueOf(mtu), "type", "veth", "peer", "name", nsIf, "mtu",
                String.valueOf(mtu), "netns", ns.name);
        run("ip", "addr", "add", rootCidr, "dev", rootIf);
        ns.ip("addr", "add", nsCidr, "dev", nsIf);
        run("ip", "link", "set", rootIf, "up");
        ns.ip("link", "set", nsIf, "up");
    }

    public String name() {
        return name;
    }

    /** Runs {@code ip -n NAME args...} and fails the test on a non-zero exit. */
    public String ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(List.of(args));
        return run(cmd.toArray(new String[0]));
    }

    /** Runs a command inside the namespace to completion and returns its output. */
    public String exec(String... command) {
        return run(inside(List.of(command)).toArray(new String[0]));
    }

    /** Starts a long-running command inside the namespace, its output going to {@code log}. */
    public Process spawn(List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(inside(command))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        processes.add(p);
        return p;
    }

    /** A java command line that runs {@code mainClass} from this test's own class path. */
    public static List<String> javaMain(Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    private List<String> inside(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(command);
        return cmd;
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + ": timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": exit " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Ends the processes this namespace started (by PID), then deletes the namespace and its veth ends. */
    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            run("ip", "netns", "del", name);
        } catch (IllegalStateException e) {
            System.err.println("could not delete namespace " + name + ": " + e.getMessage());
        }
    }

    /**
     * Sends {@code message} over TCP from this namespace with {@link NetnsProbe} until an answer starting with
     * {@code expectedPrefix} comes back (the proxy may still be starting), for at most a minute; on time-out the
     * test fails with the last answer and {@code diagnostics}.
     */
    public String probeUntilAnswered(String host, int port, String message, String expectedPrefix,
            java.util.function.Supplier<String> diagnostics) {
        java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .pollInterval(java.time.Duration.ofMillis(500)).until(() -> {
                        try {
                            last.set(exec(javaMain(NetnsProbe.class, "tcp", host, String.valueOf(port), message)
                                    .toArray(new String[0])).trim());
                            return last.get().startsWith(expectedPrefix);
                        } catch (IllegalStateException e) {
                            last.set(e.getMessage());
                            return false;
                        }
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no answer through the proxy; last probe: " + last.get() + "\n"
                    + diagnostics.get(), e);
        }
        return last.get();
    }

    /** Reads a process log for a failure message. */
    public static String readLog(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(unreadable log: " + e.getMessage() + ")";
        }
    }
}
