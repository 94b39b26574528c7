package io.userspaceproxy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

    @Test
    void queryParameters_encodedPairs_decodedWithTheFirstOfRepeatedNames() {
        assertThat(MetricsServer.queryParameters("limit=5&limit=6&name=a%20b+c&flag&&=x"))
                .isEqualTo(Map.of("limit", "5", "name", "a b c", "flag", "", "x", ""));
    }

    @Test
    void queryParameters_noQuery_empty() {
        assertThat(MetricsServer.queryParameters(null)).isEmpty();
        assertThat(MetricsServer.queryParameters("")).isEmpty();
    }

    @Test
    void queryParameters_malformedEscape_rejected() {
        // The view answers 400 for this; Java's HTTP client refuses to even send such a URI.
        assertThatThrownBy(() -> MetricsServer.queryParameters("limit=%zz"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
