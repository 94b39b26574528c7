package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DirectMemoryMetricsTest {

    private final PrometheusRegistry registry = new PrometheusRegistry();

    @Test
    void scrape_readsTheGuardEachTime() throws IOException {
        AtomicLong used = new AtomicLong(1_024);
        DirectMemoryMetrics.register(registry, DirectMemoryGuard.of(used::get, () -> 134_217_728L, 0.9));
        assertThat(scrape()).contains("userspace_proxy_direct_memory_used_bytes 1024")
                .contains("userspace_proxy_direct_memory_max_bytes 1.34217728E8");

        used.set(4_096);

        assertThat(scrape()).contains("userspace_proxy_direct_memory_used_bytes 4096");
    }

    @Test
    void scrape_jvmGuard_reportsTheLimitNettySees() throws IOException {
        DirectMemoryMetrics.register(registry, DirectMemoryGuard.jvm());

        assertThat(scrape()).containsPattern("userspace_proxy_direct_memory_max_bytes [1-9]");
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
        return out.toString(StandardCharsets.UTF_8);
    }
}
