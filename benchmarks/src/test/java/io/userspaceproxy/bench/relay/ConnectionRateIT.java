package io.userspaceproxy.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The connection-rate comparison runs both paths and reports a ratio (a few connections, not a measurement). */
@Timeout(60)
class ConnectionRateIT {

    @Test
    void main_fewConnections_reportsEachRoundAndTheMedianRatio() throws Exception {
        String report = run("3", "20", "20");

        assertThat(report).contains("round  1: direct", "round  3: direct", "median proxy/direct over 3 rounds");
    }

    @Test
    void main_concurrentClients_reportsTheirRatio() throws Exception {
        String report = run("2", "40", "20", "4");

        assertThat(report).contains("round  2: direct", "(4 clients)");
    }

    private static String run(String... args) throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ConnectionRate.main(args);
        } finally {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
