package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UdpDropMetricsTest {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Map<ListenerKey, Long> drops = new HashMap<>();

    @Test
    void scrape_listenerThatDropped_hasItsSeriesAndOthersNone() throws IOException {
        UdpDropMetrics.register(registry, () -> drops);
        assertThat(scrape()).doesNotContain("userspace_proxy_udp_receive_buffer_drops_total{");

        drops.put(ListenerKey.of(Protocol.UDP, new InetSocketAddress("127.0.12.9", 53)), 17L);

        assertThat(scrape()).contains("userspace_proxy_udp_receive_buffer_drops_total{listener=\"UDP 127.0.12.9:53\"} 17");
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape(), EscapingScheme.DEFAULT);
        return out.toString(StandardCharsets.UTF_8);
    }
}
