package io.userspaceproxy.agent.config;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Where agents meet at an upgrade: the Unix socket on which a running agent offers its listening sockets and a new
 * one, started with the same command line, asks for them. The default needs no flag: it is derived from what old and
 * new share, the host directory {@value #RUN_DIR} (the DaemonSet mounts it from the host, so both pods see it) when
 * it is a writable directory, else {@code java.io.tmpdir}; the file name carries the metrics port, so two unrelated
 * agents on one machine (their metrics ports differ) never meet. A metrics port of 0 names no agent: no default.
 */
public final class HandoverSocket {

    /** The host directory the DaemonSet shares between an old and a new pod. */
    public static final String RUN_DIR = "/run/userspace-proxy";
    /** The flag value that turns the hand-over off. */
    static final String NONE = "none";

    private HandoverSocket() {
    }

    /**
     * The socket of {@code --handover-socket}: the flag's path, {@code null} for {@code none}, else the default.
     *
     * @throws IllegalArgumentException when the flag is not a usable path
     */
    static @Nullable Path resolve(@Nullable String flag, InetSocketAddress metrics) {
        if (flag == null) {
            return defaultFor(metrics.getPort(), Path.of(RUN_DIR), Path.of(System.getProperty("java.io.tmpdir")));
        }
        if (flag.equals(NONE)) {
            return null;
        }
        try {
            Path path = Path.of(flag);
            // sun_path holds 108 bytes with its NUL; Netty allows 100.
            if (flag.isEmpty() || path.toAbsolutePath().toString().length() > 100) {
                throw new IllegalArgumentException("--handover-socket: \"" + flag + "\" (expected: a path of at most"
                        + " 100 characters, or none)");
            }
            return path;
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("--handover-socket: \"" + flag + "\" (expected: a path, or none)", e);
        }
    }

    /** {@code runDir} when it is a writable directory, else {@code tmpDir}; {@code null} for metrics port 0. */
    static @Nullable Path defaultFor(int metricsPort, Path runDir, Path tmpDir) {
        if (metricsPort == 0) {
            return null;
        }
        String name = "handover-" + metricsPort + ".sock";
        return Files.isDirectory(runDir) && Files.isWritable(runDir) ? runDir.resolve(name)
                : tmpDir.resolve("userspace-proxy-" + name);
    }
}
