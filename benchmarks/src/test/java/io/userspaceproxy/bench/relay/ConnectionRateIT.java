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
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            ConnectionRate.main(new String[] {"3", "20", "20"});
        } finally {
            System.setOut(stdout);
        }

        String report = captured.toString(StandardCharsets.UTF_8);
        assertThat(report).contains("round  1: direct", "round  3: direct", "median proxy/direct over 3 rounds");
    }
}
