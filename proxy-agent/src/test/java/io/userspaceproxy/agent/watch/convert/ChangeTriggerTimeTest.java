package io.userspaceproxy.agent.watch.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChangeTriggerTimeTest {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    private final List<String> warnings = new ArrayList<>();

    private static EndpointSlice slice(String annotations) {
        return YAML.unmarshal("""
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: echo-abc, namespace: demo, labels: {kubernetes.io/service-name: echo}%s}
                addressType: IPv4
                ports: [{name: http, port: 8080}]
                endpoints: [{addresses: [10.1.0.1]}]
                """.formatted(annotations), EndpointSlice.class);
    }

    @Test
    void endpointSlice_triggerTimeAnnotation_carriedToTheSlice() {
        EndpointSliceInfo info = KubernetesObjects.endpointSlice(slice(", annotations: "
                + "{endpoints.kubernetes.io/last-change-trigger-time: '2024-05-01T12:00:00.25Z'}"), warnings::add);

        assertThat(info.lastChangeTriggerTime()).isEqualTo(Instant.parse("2024-05-01T12:00:00.25Z"));
        assertThat(warnings).isEmpty();
    }

    @Test
    void endpointSlice_noAnnotation_noTriggerTime() {
        assertThat(KubernetesObjects.endpointSlice(slice(""), warnings::add).lastChangeTriggerTime()).isNull();
    }

    @Test
    void endpointSlice_badTriggerTime_servedUntimedWithWarning() {
        EndpointSliceInfo info = KubernetesObjects.endpointSlice(slice(", annotations: "
                + "{endpoints.kubernetes.io/last-change-trigger-time: soon}"), warnings::add);

        assertThat(info.lastChangeTriggerTime()).isNull();
        assertThat(info.endpoints()).hasSize(1);
        assertThat(warnings).containsExactly("EndpointSlice demo/echo-abc: metadata.annotations["
                + "\"endpoints.kubernetes.io/last-change-trigger-time\"]: \"soon\" (expected: an RFC 3339 time such as"
                + " 2024-05-01T12:00:00.5Z); the change is applied but not timed");
    }

    @ParameterizedTest
    @CsvSource({
        "2024-05-01T12:00:00Z, 2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00.123456789Z, 2024-05-01T12:00:00.123456789Z",
        "2024-05-01T14:00:00.5+02:00, 2024-05-01T12:00:00.5Z",
        "' 2024-05-01T12:00:00Z ', 2024-05-01T12:00:00Z"
    })
    void parse_rfc3339_instant(String text, String expected) {
        assertThat(ChangeTriggerTime.parse(text)).isEqualTo(Instant.parse(expected));
    }

    @Test
    void parse_absent_null() {
        assertThat(ChangeTriggerTime.parse(null)).isNull();
        assertThat(ChangeTriggerTime.parse("")).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2024-05-01 12:00:00", "2024-05-01T12:00:00", "1714564800"})
    void parse_notRfc3339_namesValueAndExpectation(String text) {
        assertThatThrownBy(() -> ChangeTriggerTime.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" (expected: an RFC 3339 time such as 2024-05-01T12:00:00.5Z)");
    }
}
