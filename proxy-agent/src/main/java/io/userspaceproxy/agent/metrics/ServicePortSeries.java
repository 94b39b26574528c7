package io.userspaceproxy.agent.metrics;

import java.util.Locale;

/**
 * Which service ports get the per-service-port series ({@code --metrics-service-ports}). Thousands of idle Services
 * would otherwise cost tens of megabytes of zeros per scrape, per node.
 */
public enum ServicePortSeries {
    /** Only service ports that have seen traffic (a connection, a flow, a refusal, a drop), and of those only the
     * counters that are not zero; their gauges always. The default. */
    ACTIVE,
    /** Every service port, every series, zeros included: what a dashboard that lists every Service expects. */
    ALL,
    /** No per-service-port series at all: the agent's own series only. */
    NONE;

    /** Parses a flag value, case-insensitively; names the expected values when it is none of them. */
    public static ServicePortSeries parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--metrics-service-ports: \"" + text + "\" (expected: active, all or"
                    + " none)", e);
        }
    }

    public String flagValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
