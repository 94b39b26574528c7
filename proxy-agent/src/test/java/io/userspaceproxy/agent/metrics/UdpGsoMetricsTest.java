package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UdpGsoMetricsTest {

    private final PrometheusRegistry registry = new PrometheusRegistry();

    @Test
    void scrape_readsTheRelaysCountsEachTime() throws IOException {
        AtomicLong datagrams = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        UdpGsoMetrics.register(registry, datagrams::get, refused::get);
        assertThat(scrape()).contains("userspace_proxy_udp_gso_datagrams_total 0.0")
                .contains("userspace_proxy_udp_gso_refused_total 0.0");

        datagrams.set(640);
        refused.set(2);

        assertThat(scrape()).contains("userspace_proxy_udp_gso_datagrams_total 640.0")
                .contains("userspace_proxy_udp_gso_refused_total 2.0");
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
        return out.toString(StandardCharsets.UTF_8);
    }
}
