package io.userspaceproxy.agent.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command under a seccomp filter that refuses io_uring's three system calls with {@code EPERM}, as Docker's
 * and containerd's default profiles (Kubernetes' {@code RuntimeDefault}) do; everything else is allowed. The filter is
 * loaded by libseccomp's Python binding ({@code python3-seccomp}, which {@code .ci/run} installs), which then
 * {@code exec}s the command: the filter outlives the exec and binds the whole process.
 */
public final class NoIoUring {

    private static final String PYTHON = "/usr/bin/python3";
    private static final String FILTER = """
            import errno, os, sys, seccomp
            f = seccomp.SyscallFilter(seccomp.ALLOW)
            for name in ("io_uring_setup", "io_uring_enter", "io_uring_register"):
                f.add_rule(seccomp.ERRNO(errno.EPERM), name)
            f.load()
            os.execv(sys.argv[1], sys.argv[1:])
            """;

    private NoIoUring() {
    }

    /**
     * Skips the calling test where the filter cannot be loaded (no {@code python3-seccomp}), except under CI
     * ({@code CI=true}), where it must fail instead: {@code .ci/run} installs the package.
     */
    public static void assumeAvailable() {
        CiPrerequisite.check("seccomp tests", unavailableReason());
    }

    /** {@code command} (an absolute program path first), run with io_uring refused. */
    public static List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of(PYTHON, "-c", FILTER));
        wrapped.addAll(command);
        return wrapped;
    }

    private static String unavailableReason() {
        try {
            Process p = new ProcessBuilder(wrap(List.of("/bin/true"))).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "loading the filter did not finish in 10 s";
            }
            return p.exitValue() == 0 ? null : "loading the filter failed (is python3-seccomp installed?): " + out;
        } catch (IOException e) {
            return PYTHON + " cannot run (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
