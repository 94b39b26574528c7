package io.userspaceproxy.agent.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userspaceproxy.core.model.OutlierDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code userspace-proxy.io/outlier-detection}: absent, off, tuned in part or whole, and values that cannot be read. */
class ServiceAnnotationsTest {

    private final List<String> warnings = new ArrayList<>();
    private final Problems problems = new Problems("Service shop/web", warnings::add);

    private OutlierDetection read(String value) {
        return ServiceAnnotations.outlierDetection(
                Map.of(KubernetesObjects.OUTLIER_DETECTION_ANNOTATION, value), problems);
    }

    @Test
    void absent_theDefaultIsOn() {
        assertThat(ServiceAnnotations.outlierDetection(Map.of(), problems)).isEqualTo(OutlierDetection.DEFAULT);
        assertThat(OutlierDetection.DEFAULT.enabled()).isTrue();
    }

    @Test
    void off_disabled() {
        assertThat(read(" off ").enabled()).isFalse();
        assertThat(problems.hasErrors()).isFalse();
    }

    @Test
    void tuned_keysLeftOutKeepTheirDefaults() {
        assertThat(read("consecutive=5, base=30s")).isEqualTo(new OutlierDetection(5, Duration.ofSeconds(30), 50));
        assertThat(read("consecutive=5,base=1m,max-percent=20"))
                .isEqualTo(new OutlierDetection(5, Duration.ofMinutes(1), 20));
        assertThat(problems.hasErrors()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"on", "consecutive=0", "consecutive=x", "base=-1s", "max-percent=150", "burst=3"})
    void unreadable_reportedWithTheAnnotation_andTheDefaultStands(String value) {
        assertThat(read(value)).isEqualTo(OutlierDetection.DEFAULT);

        assertThat(problems.hasErrors()).isTrue();
        assertThat(catchThrowable(problems::throwIfAny))
                .hasMessageContaining("metadata.annotations[\"userspace-proxy.io/outlier-detection\"]: \"" + value);
    }
}
