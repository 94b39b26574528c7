package io.userspaceproxy.agent.watch.convert;

import io.userspaceproxy.agent.config.GoDuration;
import io.userspaceproxy.core.model.BalancingAlgorithm;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.HealthCheck;
import io.userspaceproxy.core.model.OutlierDetection;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The annotations on a Service that change how it is proxied, other than the PROXY protocol's
 * ({@link ProxyProtocolAnnotations}): see {@link KubernetesObjects} for the list. A value that cannot be read is a
 * problem of the Service, reported with the annotation's path, as any malformed field is.
 */
final class ServiceAnnotations {

    private ServiceAnnotations() {
    }

    /** {@value KubernetesObjects#UDP_TIMEOUT_ANNOTATION} as a Go duration {@code > 0}; null when absent or bad. */
    static @Nullable Duration udpTimeout(Map<String, String> annotations, ConversionReport problems) {
        String value = annotations.get(KubernetesObjects.UDP_TIMEOUT_ANNOTATION);
        if (value == null) {
            return null;
        }
        Duration d;
        try {
            d = GoDuration.parse(value.trim());
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || d.isNegative() || d.isZero()) {
            problems.invalid(path(KubernetesObjects.UDP_TIMEOUT_ANNOTATION), value,
                    "a duration > 0 such as 250ms, 5s or 1m30s");
            return null;
        }
        return d;
    }

    /** {@value KubernetesObjects#TOPOLOGY_MODE_ANNOTATION}, else the legacy hints annotation; null when neither. */
    static @Nullable String topologyMode(Map<String, String> annotations) {
        String mode = ServiceConversion.emptyToNull(annotations.get(KubernetesObjects.TOPOLOGY_MODE_ANNOTATION));
        return mode != null ? mode
                : ServiceConversion.emptyToNull(annotations.get(KubernetesObjects.TOPOLOGY_AWARE_HINTS_ANNOTATION));
    }

    /**
     * {@value KubernetesObjects#OUTLIER_DETECTION_ANNOTATION}: {@code off}, or comma-separated
     * {@code consecutive=N}, {@code base=<Go duration>}, {@code max-percent=P}, each defaulting to
     * {@link OutlierDetection#DEFAULT}'s; the default when absent or bad.
     */
    static OutlierDetection outlierDetection(Map<String, String> annotations, ConversionReport problems) {
        String value = annotations.get(KubernetesObjects.OUTLIER_DETECTION_ANNOTATION);
        if (value == null || value.isBlank()) {
            return OutlierDetection.DEFAULT;
        }
        if (value.trim().equals("off")) {
            return OutlierDetection.OFF;
        }
        OutlierDetection d = OutlierDetection.DEFAULT;
        try {
            int consecutive = d.consecutive();
            Duration base = d.base();
            int maxPercent = d.maxPercent();
            for (String pair : value.split(",")) {
                String[] kv = pair.split("=", 2);
                String key = kv[0].trim();
                String v = kv.length == 2 ? kv[1].trim() : "";
                switch (key) {
                    case "consecutive" -> consecutive = Integer.parseInt(v);
                    case "base" -> base = GoDuration.parse(v);
                    case "max-percent" -> maxPercent = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown key " + key);
                }
            }
            if (consecutive < 1) {
                throw new IllegalArgumentException("consecutive < 1");
            }
            return new OutlierDetection(consecutive, base, maxPercent);
        } catch (IllegalArgumentException e) { // NumberFormatException too
            problems.invalid(path(KubernetesObjects.OUTLIER_DETECTION_ANNOTATION), value,
                    "off, or consecutive=N (>= 1), base=<duration > 0> and max-percent=0..100, comma-separated");
            return OutlierDetection.DEFAULT;
        }
    }

    /**
     * {@value KubernetesObjects#ON_ENDPOINT_REMOVAL_ANNOTATION} ({@code keep}, {@code close} or
     * {@code drain=<Go duration>}), {@value KubernetesObjects#MAX_CONNECTION_AGE_ANNOTATION} (a Go duration),
     * {@value KubernetesObjects#HOLD_WHEN_EMPTY_ANNOTATION} (a Go duration) and
     * {@value KubernetesObjects#HOLD_LIMIT_ANNOTATION} (a count); each defaults to
     * {@link ConnectionLifecycle#DEFAULT}'s when absent or bad.
     */
    static ConnectionLifecycle lifecycle(Map<String, String> annotations, ConversionReport problems) {
        ConnectionLifecycle lifecycle = ConnectionLifecycle.DEFAULT;
        String removal = annotations.get(KubernetesObjects.ON_ENDPOINT_REMOVAL_ANNOTATION);
        if (removal != null && !removal.isBlank()) {
            String v = removal.trim();
            Duration drain = v.startsWith("drain=") ? positive(v.substring("drain=".length())) : null;
            if (v.equals("keep")) {
                lifecycle = lifecycle.withRemoval(ConnectionLifecycle.Removal.KEEP, Duration.ZERO);
            } else if (v.equals("close")) {
                lifecycle = lifecycle.withRemoval(ConnectionLifecycle.Removal.CLOSE, Duration.ZERO);
            } else if (drain != null) {
                lifecycle = lifecycle.withRemoval(ConnectionLifecycle.Removal.DRAIN, drain);
            } else {
                problems.invalid(path(KubernetesObjects.ON_ENDPOINT_REMOVAL_ANNOTATION), removal,
                        "keep, close or drain=<duration > 0> such as drain=30s");
            }
        }
        String age = annotations.get(KubernetesObjects.MAX_CONNECTION_AGE_ANNOTATION);
        if (age != null && !age.isBlank()) {
            Duration d = positive(age.trim());
            if (d == null) {
                problems.invalid(path(KubernetesObjects.MAX_CONNECTION_AGE_ANNOTATION), age,
                        "a duration > 0 such as 10m");
            } else {
                lifecycle = lifecycle.withMaxAge(d);
            }
        }
        return hold(annotations, problems, lifecycle);
    }

    private static ConnectionLifecycle hold(Map<String, String> annotations, ConversionReport problems,
            ConnectionLifecycle lifecycle) {
        Duration hold = lifecycle.hold();
        String time = annotations.get(KubernetesObjects.HOLD_WHEN_EMPTY_ANNOTATION);
        if (time != null && !time.isBlank()) {
            Duration d = positive(time.trim());
            if (d == null) {
                problems.invalid(path(KubernetesObjects.HOLD_WHEN_EMPTY_ANNOTATION), time,
                        "a duration > 0 such as 60s");
            } else {
                hold = d;
            }
        }
        int limit = lifecycle.holdLimit();
        String count = annotations.get(KubernetesObjects.HOLD_LIMIT_ANNOTATION);
        if (count != null && !count.isBlank()) {
            try {
                limit = Integer.parseInt(count.trim());
            } catch (NumberFormatException e) {
                limit = 0;
            }
            if (limit <= 0) {
                problems.invalid(path(KubernetesObjects.HOLD_LIMIT_ANNOTATION), count,
                        "a whole number > 0 such as 1000");
                limit = lifecycle.holdLimit();
            }
        }
        return lifecycle.withHold(hold, limit);
    }

    /** A Go duration {@code > 0}, or null. */
    private static @Nullable Duration positive(String text) {
        try {
            Duration d = GoDuration.parse(text);
            return d.isNegative() || d.isZero() ? null : d;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * {@value KubernetesObjects#LOAD_BALANCER_ANNOTATION}: {@code round-robin}, {@code least-connections} or
     * {@code maglev}. Any other value is a warning (logged with the Service) and the Service is balanced round-robin:
     * a balancing choice never keeps a Service from being served.
     */
    static BalancingAlgorithm algorithm(Map<String, String> annotations, ConversionReport problems) {
        String value = annotations.get(KubernetesObjects.LOAD_BALANCER_ANNOTATION);
        if (value == null || value.isBlank()) {
            return BalancingAlgorithm.ROUND_ROBIN;
        }
        switch (value.trim()) {
            case "round-robin":
                return BalancingAlgorithm.ROUND_ROBIN;
            case "least-connections":
                return BalancingAlgorithm.LEAST_CONNECTIONS;
            case "maglev":
                return BalancingAlgorithm.MAGLEV;
            default:
                problems.warn(path(KubernetesObjects.LOAD_BALANCER_ANNOTATION) + ": " + ConversionReport.render(value)
                        + " (expected: round-robin, least-connections or maglev); balancing round-robin");
                return BalancingAlgorithm.ROUND_ROBIN;
        }
    }

    /**
     * {@value KubernetesObjects#HEALTH_CHECK_ANNOTATION}: {@code tcp}, optionally followed by comma-separated
     * {@code interval=}, {@code timeout=} (Go durations), {@code unhealthy=} and {@code healthy=} (counts), each
     * defaulting to {@link HealthCheck#TCP}'s; off when absent or bad.
     */
    static HealthCheck healthCheck(Map<String, String> annotations, ConversionReport problems) {
        String value = annotations.get(KubernetesObjects.HEALTH_CHECK_ANNOTATION);
        if (value == null || value.isBlank()) {
            return HealthCheck.OFF;
        }
        String[] parts = value.split(",");
        try {
            if (!parts[0].trim().equals("tcp")) {
                throw new IllegalArgumentException("not tcp");
            }
            HealthCheck d = HealthCheck.TCP;
            Duration interval = d.interval();
            Duration timeout = d.timeout();
            int unhealthy = d.unhealthy();
            int healthy = d.healthy();
            for (int i = 1; i < parts.length; i++) {
                String[] kv = parts[i].split("=", 2);
                String v = kv.length == 2 ? kv[1].trim() : "";
                switch (kv[0].trim()) {
                    case "interval" -> interval = GoDuration.parse(v);
                    case "timeout" -> timeout = GoDuration.parse(v);
                    case "unhealthy" -> unhealthy = Integer.parseInt(v);
                    case "healthy" -> healthy = Integer.parseInt(v);
                    default -> throw new IllegalArgumentException("unknown key " + kv[0]);
                }
            }
            if (interval.isZero()) {
                throw new IllegalArgumentException("interval 0");
            }
            return new HealthCheck(interval, timeout, unhealthy, healthy);
        } catch (IllegalArgumentException e) {
            problems.invalid(path(KubernetesObjects.HEALTH_CHECK_ANNOTATION), value,
                    "tcp, optionally with interval=, timeout= (durations > 0), unhealthy= and healthy= (>= 1)");
            return HealthCheck.OFF;
        }
    }

    /** How a problem names an annotation: {@code metadata.annotations["name"]}. */
    static String path(String annotation) {
        return "metadata.annotations[\"" + annotation + "\"]";
    }
}
