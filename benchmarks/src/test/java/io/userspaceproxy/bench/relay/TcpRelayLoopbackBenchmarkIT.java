package io.userspaceproxy.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxied path really goes through the relay (the smoke test covers the direct path, the first value). */
@Timeout(30)
class TcpRelayLoopbackBenchmarkIT {

    private final TcpRelayLoopbackBenchmark benchmark = new TcpRelayLoopbackBenchmark();

    @AfterEach
    void tearDown() throws IOException {
        benchmark.tearDown();
    }

    @Test
    void bulk_proxyPath_relaysTheWholeChunkThroughTheProxy() throws IOException {
        benchmark.path = "proxy";
        benchmark.setUp();

        assertThat(benchmark.bulk()).isEqualTo(TcpRelayLoopbackBenchmark.CHUNK);
        assertThat(benchmark.proxiedBytesToBackend()).isEqualTo(TcpRelayLoopbackBenchmark.CHUNK);
    }

    @Test
    void connectRequestClose_proxyPath_getsTheReplyThroughTheProxy() throws IOException {
        benchmark.path = "proxy";
        benchmark.setUp();

        for (int i = 0; i < 3; i++) {
            benchmark.connectRequestClose();
        }

        assertThat(benchmark.proxiedBytesToBackend()).isEqualTo(3L * TcpRelayLoopbackBenchmark.REQUEST);
    }

    @Test
    void bulk_directPath_bypassesTheProxy() throws IOException {
        benchmark.path = "direct";
        benchmark.setUp();

        assertThat(benchmark.bulk()).isEqualTo(TcpRelayLoopbackBenchmark.CHUNK);
        assertThat(benchmark.proxiedBytesToBackend()).isZero();
    }
}
