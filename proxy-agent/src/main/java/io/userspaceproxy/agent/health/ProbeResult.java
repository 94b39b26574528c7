package io.userspaceproxy.agent.health;

/**
 * One answered probe: the HTTP status (200 or 503) and the JSON body kube-proxy sends, e.g.
 * {@code {"lastUpdated": "2025-01-02T03:04:05Z", "currentTime": "2025-01-02T03:04:05Z", "nodeEligible": true}}.
 */
public record ProbeResult(int statusCode, String json) {

    public boolean healthy() {
        return statusCode == 200;
    }
}
