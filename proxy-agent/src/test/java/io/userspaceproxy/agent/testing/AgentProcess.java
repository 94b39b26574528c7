package io.userspaceproxy.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds the command line that starts the packaged agent jar, as a user would, for process-level tests. */
public final class AgentProcess {

    private AgentProcess() {
    }

    /** The shaded jar built by {@code package}, which failsafe's integration tests run after. */
    public static Path jar() {
        Path jar = Path.of("target", "proxy-agent.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests with `mvn verify`, which packages first");
        }
        return jar;
    }

    /** Starts the packaged agent with {@code args}, its standard output and error going to {@code log}. */
    public static Process start(Path log, String... args) throws IOException {
        return start(log, List.of(), args);
    }

    /** As {@link #start(Path, String...)}, the JVM started with {@code jvmOptions} as well. */
    public static Process start(Path log, List<String> jvmOptions, String... args) throws IOException {
        return new ProcessBuilder(command(jvmOptions, args))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** What an agent started by {@link #start} has logged so far; empty before it wrote anything. */
    public static String log(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    public static List<String> command(String... args) {
        return command(List.of(), args);
    }

    private static List<String> command(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.addAll(jvmOptions);
        cmd.add("-jar");
        cmd.add(jar().toString());
        cmd.addAll(List.of(args));
        return cmd;
    }
}
