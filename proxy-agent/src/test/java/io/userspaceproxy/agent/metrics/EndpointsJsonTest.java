package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.core.listen.EndpointView.EndpointState;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointsJsonTest {

    private static final ServicePortName HTTP = new ServicePortName("shop", "web", "http", Protocol.TCP);
    private static final ServicePortName OTHER = new ServicePortName("shop", "db", "sql", Protocol.TCP);

    @Test
    void apply_theNamedServiceOnly_oneEndpointPerLine() {
        List<Predicate<ServicePortName>> asked = new ArrayList<>();
        EndpointsJson json = new EndpointsJson(which -> {
            asked.add(which);
            return List.of(new EndpointState(HTTP, Endpoint.of("10.244.1.5", 8080), 3, 4, 1, 7_512_000_000L, false));
        });

        String body = json.apply(Map.of("service", "shop/web"));

        assertThat(body).isEqualTo("""
                {"service": "shop/web", "endpoints": [
                  {"servicePort": "shop/web:http", "endpoint": "10.244.1.5:8080", "openConnections": 3, \
                "connectFailures": 4, "ejections": 1, "ejected": true, "ejectedForSeconds": 7.512, "unhealthy": false}
                ]}
                """);
        assertThat(asked.get(0).test(HTTP)).isTrue();
        assertThat(asked.get(0).test(OTHER)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"web", "/web", "shop/", ""})
    void apply_serviceNotNamespaceSlashName_rejectedWithTheValue(String service) {
        EndpointsJson json = new EndpointsJson(which -> List.of());

        assertThatThrownBy(() -> json.apply(Map.of("service", service)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(expected: namespace/name)");
        assertThatThrownBy(() -> json.apply(Map.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void render_nothingServed_emptyList() {
        assertThat(EndpointsJson.render("shop/web", List.of()))
                .isEqualTo("{\"service\": \"shop/web\", \"endpoints\": []}\n");
    }
}
