package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.ConnectionInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionsJsonTest {

    private static final Instant NOW = Instant.parse("2025-01-01T12:00:00.500Z");

    private static ConnectionInfo tcp(String client, Duration age, long toBackend, long toFrontend) {
        String[] ipPort = client.split(":");
        return new ConnectionInfo(
                ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.0.10.1", 8080)),
                new ServicePortName("demo", "echo", "http", Protocol.TCP),
                new InetSocketAddress(ipPort[0], Integer.parseInt(ipPort[1])),
                new InetSocketAddress("127.0.0.1", 18082), true, NOW.minus(age), age, toBackend, toFrontend);
    }

    @Test
    void render_twoConnections_oneObjectPerLineUnderTheCounts() {
        ConnectionInfo old = tcp("127.0.0.2:43210", Duration.ofMillis(1234), 10, 20);
        ConnectionInfo young = tcp("127.0.0.3:5", Duration.ofNanos(999_999), 0, 0);

        assertThat(ConnectionsJson.render(7, List.of(old, young))).isEqualTo("""
                {"total": 7, "shown": 2, "connections": [
                  {"client": "127.0.0.2:43210", "service": "demo/echo:http", "listener": "TCP 127.0.10.1:8080", \
                "endpoint": "127.0.0.1:18082", "connected": true, "openedAt": "2025-01-01T11:59:59.266Z", \
                "ageSeconds": 1.234, "bytesToBackend": 10, "bytesToFrontend": 20},
                  {"client": "127.0.0.3:5", "service": "demo/echo:http", "listener": "TCP 127.0.10.1:8080", \
                "endpoint": "127.0.0.1:18082", "connected": true, "openedAt": "2025-01-01T12:00:00.499Z", \
                "ageSeconds": 0.000, "bytesToBackend": 0, "bytesToFrontend": 0}
                ]}
                """);
    }

    @Test
    void render_ipv6AndUdpStillConnecting_bracketsAndFlags() {
        ConnectionInfo info = new ConnectionInfo(
                ListenerKey.of(Protocol.UDP, new InetSocketAddress("fd00::10", 53)),
                new ServicePortName("kube-system", "dns", "", Protocol.UDP),
                new InetSocketAddress("::1", 40000), new InetSocketAddress("fd00::5", 5353), false,
                NOW, Duration.ofSeconds(61), 1, 2);

        assertThat(ConnectionsJson.render(1, List.of(info))).contains(
                "{\"client\": \"[::1]:40000\", \"service\": \"kube-system/dns\", "
                        + "\"listener\": \"UDP [fd00::10]:53\", \"endpoint\": \"[fd00::5]:5353\", "
                        + "\"connected\": false,",
                "\"ageSeconds\": 61.000,");
    }

    @Test
    void render_nothingOpen_emptyList() {
        assertThat(ConnectionsJson.render(0, List.of())).isEqualTo("{\"total\": 0, \"shown\": 0, \"connections\": []}\n");
    }

    @Test
    void render_quoteInAName_escaped() {
        ConnectionInfo info = new ConnectionInfo(
                ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.0.10.1", 80)),
                new ServicePortName("ns", "we\"ird\\", "p\n", Protocol.TCP),
                new InetSocketAddress("127.0.0.2", 1), new InetSocketAddress("127.0.0.1", 2), true,
                NOW, Duration.ZERO, 0, 0);

        assertThat(ConnectionsJson.render(1, List.of(info))).contains("\"service\": \"ns/we\\\"ird\\\\:p\\n\"");
    }

    @Test
    void apply_limitParameter_passedOnAndTotalCountedAll() {
        List<Integer> asked = new ArrayList<>();
        ConnectionsJson json = new ConnectionsJson(limit -> {
            asked.add(limit);
            return List.of(tcp("127.0.0.2:1", Duration.ofSeconds(2), 0, 0));
        }, () -> 5000);

        assertThat(json.apply(Map.of("limit", "1"))).startsWith("{\"total\": 5000, \"shown\": 1, ");
        json.apply(Map.of());
        json.apply(Map.of("limit", "0"));
        json.apply(Map.of("limit", "10000"));

        assertThat(asked).containsExactly(1, ConnectionsJson.DEFAULT_LIMIT, 0, ConnectionsJson.MAX_LIMIT);
    }

    @Test
    void apply_connectionOpenedBetweenCountAndPage_totalNeverBelowShown() {
        ConnectionsJson json = new ConnectionsJson(limit -> List.of(tcp("127.0.0.2:1", Duration.ZERO, 0, 0)), () -> 0);

        assertThat(json.apply(Map.of())).startsWith("{\"total\": 1, \"shown\": 1, ");
    }

    @Test
    void apply_badLimit_rejectedNamingTheParameter() {
        ConnectionsJson json = new ConnectionsJson(limit -> List.of(), () -> 0);

        for (String bad : List.of("-1", "10001", "ten", "")) {
            assertThatThrownBy(() -> json.apply(Map.of("limit", bad)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("limit: " + bad + " (expected: an integer from 0 to 10000)");
        }
    }
}
