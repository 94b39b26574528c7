package io.userspaceproxy.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxied path really goes through the relay, and each round trip returns its own datagram. */
@Timeout(30)
class UdpRelayLoopbackBenchmarkIT {

    private final UdpRelayLoopbackBenchmark benchmark = new UdpRelayLoopbackBenchmark();
    private final UdpRelayLoopbackBenchmark.Losses losses = new UdpRelayLoopbackBenchmark.Losses();

    @AfterEach
    void tearDown() {
        benchmark.tearDown();
    }

    @Test
    void roundTrip_proxyPath_echoesEachSequenceNumberThroughTheProxy() throws IOException {
        benchmark.path = "proxy";
        benchmark.size = 1400;
        benchmark.setUp();
        // The first datagram opens the flow in a cold JVM; on a loaded machine its echo can miss the benchmark's
        // 200 ms window. Open it first (a bounded number of tries), then count.
        long opened = 0;
        while (benchmark.roundTrip(losses) < 0) {
            assertThat(++opened).as("round trips lost while opening the flow").isLessThan(10);
        }
        losses.reset();
        long before = benchmark.proxiedDatagramsToBackend();

        for (long seq = opened + 2; seq <= opened + 6; seq++) {
            assertThat(benchmark.roundTrip(losses)).isEqualTo(seq);
        }

        assertThat(losses.lost).isZero();
        assertThat(benchmark.proxiedDatagramsToBackend() - before).isEqualTo(5);
    }

    @Test
    void window_proxyPath_echoesTheWholeWindowThroughTheProxy() throws IOException {
        benchmark.path = "proxy";
        benchmark.size = 64;
        benchmark.setUp();

        assertThat(benchmark.window(losses)).isEqualTo(UdpRelayLoopbackBenchmark.WINDOW);

        assertThat(losses.lost).isZero();
        assertThat(benchmark.proxiedDatagramsToBackend()).isEqualTo(UdpRelayLoopbackBenchmark.WINDOW);
    }

    @Test
    void roundTrip_directPath_bypassesTheProxy() throws IOException {
        benchmark.path = "direct";
        benchmark.size = 64;
        benchmark.setUp();

        assertThat(benchmark.roundTrip(losses)).isEqualTo(1);
        assertThat(benchmark.proxiedDatagramsToBackend()).isZero();
    }
}
