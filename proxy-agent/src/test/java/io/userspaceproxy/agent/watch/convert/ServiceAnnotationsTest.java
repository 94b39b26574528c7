package io.userspaceproxy.agent.watch.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.userspaceproxy.core.model.BalancingAlgorithm;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.ConnectionLifecycle.Removal;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.OutlierDetection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Service annotations {@link ServiceAnnotations} reads: outlier detection (absent, off, tuned in part or whole),
 * the removal policy and the maximum connection age, and values that cannot be read.
 */
class ServiceAnnotationsTest {

    private final List<String> warnings = new ArrayList<>();
    private final ConversionReport problems = new ConversionReport("Service shop/web", warnings::add);

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

    private ConnectionLifecycle lifecycle(Map<String, String> annotations) {
        return ServiceAnnotations.lifecycle(annotations, problems);
    }

    @Test
    void lifecycle_absent_keepAndNoAgeLimit() {
        assertThat(lifecycle(Map.of())).isEqualTo(ConnectionLifecycle.DEFAULT);
    }

    @Test
    void lifecycle_closeDrainAndAge() {
        assertThat(lifecycle(Map.of(KubernetesObjects.ON_ENDPOINT_REMOVAL_ANNOTATION, "close")).onRemoval())
                .isEqualTo(Removal.CLOSE);
        assertThat(lifecycle(Map.of(KubernetesObjects.ON_ENDPOINT_REMOVAL_ANNOTATION, "drain=30s",
                KubernetesObjects.MAX_CONNECTION_AGE_ANNOTATION, "10m")))
                .isEqualTo(ConnectionLifecycle.DEFAULT.withRemoval(Removal.DRAIN, Duration.ofSeconds(30))
                        .withMaxAge(Duration.ofMinutes(10)));
        assertThat(problems.hasErrors()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"reset", "drain", "drain=0s", "drain=soon"})
    void lifecycle_unreadableRemoval_reportedAndKeep(String value) {
        assertThat(lifecycle(Map.of(KubernetesObjects.ON_ENDPOINT_REMOVAL_ANNOTATION, value)).onRemoval())
                .isEqualTo(Removal.KEEP);
        assertThat(catchThrowable(problems::throwIfAny)).hasMessageContaining(
                "metadata.annotations[\"userspace-proxy.io/on-endpoint-removal\"]: \"" + value + "\"");
    }

    @Test
    void lifecycle_unreadableAge_reported() {
        assertThat(lifecycle(Map.of(KubernetesObjects.MAX_CONNECTION_AGE_ANNOTATION, "-1m")).maxAge()).isZero();
        assertThat(catchThrowable(problems::throwIfAny)).hasMessageContaining("max-connection-age");
    }

    @Test
    void lifecycle_holdWhenEmpty_andItsLimit() {
        assertThat(lifecycle(Map.of(KubernetesObjects.HOLD_WHEN_EMPTY_ANNOTATION, "60s")))
                .isEqualTo(ConnectionLifecycle.DEFAULT.withHold(Duration.ofSeconds(60), 1_000));
        assertThat(lifecycle(Map.of(KubernetesObjects.HOLD_WHEN_EMPTY_ANNOTATION, "2m",
                KubernetesObjects.HOLD_LIMIT_ANNOTATION, " 16 ")))
                .isEqualTo(ConnectionLifecycle.DEFAULT.withHold(Duration.ofMinutes(2), 16));
        assertThat(problems.hasErrors()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0s", "-5s", "soon", "60"})
    void lifecycle_unreadableHoldTime_reportedAndNoHold(String value) {
        assertThat(lifecycle(Map.of(KubernetesObjects.HOLD_WHEN_EMPTY_ANNOTATION, value)).holdsWhenEmpty()).isFalse();
        assertThat(catchThrowable(problems::throwIfAny)).hasMessageContaining(
                "metadata.annotations[\"userspace-proxy.io/hold-when-empty\"]: \"" + value + "\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "many", "99999999999"})
    void lifecycle_unreadableHoldLimit_reported(String value) {
        assertThat(lifecycle(Map.of(KubernetesObjects.HOLD_WHEN_EMPTY_ANNOTATION, "60s",
                KubernetesObjects.HOLD_LIMIT_ANNOTATION, value)).holdLimit()).isEqualTo(1_000);
        assertThat(catchThrowable(problems::throwIfAny)).hasMessageContaining("hold-limit").hasMessageContaining(value);
    }

    @Test
    void algorithm_eachNamedValue_andAnUnknownOneWarnsAndFallsBackToRoundRobin() {
        assertThat(ServiceAnnotations.algorithm(Map.of(), problems)).isEqualTo(BalancingAlgorithm.ROUND_ROBIN);
        assertThat(ServiceAnnotations.algorithm(Map.of(KubernetesObjects.LOAD_BALANCER_ANNOTATION, "maglev"), problems))
                .isEqualTo(BalancingAlgorithm.MAGLEV);
        assertThat(ServiceAnnotations.algorithm(
                Map.of(KubernetesObjects.LOAD_BALANCER_ANNOTATION, " least-connections "), problems))
                .isEqualTo(BalancingAlgorithm.LEAST_CONNECTIONS);
        assertThat(warnings).isEmpty();

        assertThat(ServiceAnnotations.algorithm(Map.of(KubernetesObjects.LOAD_BALANCER_ANNOTATION, "random"), problems))
                .isEqualTo(BalancingAlgorithm.ROUND_ROBIN);

        assertThat(problems.hasErrors()).as("the Service is still served").isFalse();
        assertThat(warnings).singleElement().asString().contains("Service shop/web",
                "userspace-proxy.io/load-balancer", "\"random\"", "balancing round-robin");
    }

    private HealthCheck healthCheck(String value) {
        return ServiceAnnotations.healthCheck(Map.of(KubernetesObjects.HEALTH_CHECK_ANNOTATION, value), problems);
    }

    @Test
    void healthCheck_absentOff_tcpDefaults_andTuned() {
        assertThat(ServiceAnnotations.healthCheck(Map.of(), problems).enabled()).isFalse();
        assertThat(healthCheck("tcp")).isEqualTo(HealthCheck.TCP);
        assertThat(healthCheck("tcp,interval=5s,timeout=500ms,unhealthy=3,healthy=1"))
                .isEqualTo(new HealthCheck(Duration.ofSeconds(5), Duration.ofMillis(500), 3, 1));
        assertThat(problems.hasErrors()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "tcp,interval=0s", "tcp,timeout=0s", "tcp,unhealthy=0", "tcp,every=2s"})
    void healthCheck_unreadable_reportedAndOff(String value) {
        assertThat(healthCheck(value).enabled()).isFalse();
        assertThat(catchThrowable(problems::throwIfAny)).hasMessageContaining("userspace-proxy.io/health-check");
    }
}
