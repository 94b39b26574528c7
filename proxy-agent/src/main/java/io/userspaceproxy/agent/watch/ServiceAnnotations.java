package io.userspaceproxy.agent.watch;

import io.userspaceproxy.agent.config.GoDuration;
import java.time.Duration;
import java.util.Map;

/**
 * The annotations on a Service that change how it is proxied, other than the PROXY protocol's
 * ({@link ProxyProtocolAnnotations}): see {@link KubernetesObjects} for the list. A value that cannot be read is a
 * problem of the Service, reported with the annotation's path, as any malformed field is.
 */
final class ServiceAnnotations {

    private ServiceAnnotations() {
    }

    /** {@value KubernetesObjects#UDP_TIMEOUT_ANNOTATION} as a Go duration {@code > 0}; null when absent or bad. */
    static Duration udpTimeout(Map<String, String> annotations, Problems problems) {
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
    static String topologyMode(Map<String, String> annotations) {
        String mode = ServiceConversion.emptyToNull(annotations.get(KubernetesObjects.TOPOLOGY_MODE_ANNOTATION));
        return mode != null ? mode
                : ServiceConversion.emptyToNull(annotations.get(KubernetesObjects.TOPOLOGY_AWARE_HINTS_ANNOTATION));
    }

    /** How a problem names an annotation: {@code metadata.annotations["name"]}. */
    static String path(String annotation) {
        return "metadata.annotations[\"" + annotation + "\"]";
    }
}
