package io.userspaceproxy.core.model;

import java.time.Duration;
import java.util.Objects;

/**
 * A service port's session affinity. {@code ClientIP} keeps a client IP on one endpoint while it was last seen
 * within {@link #timeout()}; the Service API allows 1 s to 86400 s and defaults to 10800 s.
 */
public record SessionAffinity(Type type, Duration timeout) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10800);
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(86400);
    public static final SessionAffinity NONE = new SessionAffinity(Type.NONE, Duration.ZERO);

    public enum Type {
        NONE,
        CLIENT_IP
    }

    public SessionAffinity {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(timeout, "timeout");
        if (type == Type.CLIENT_IP && (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0)) {
            throw new IllegalArgumentException("timeoutSeconds: " + timeout.toSeconds() + " (expected: 1.."
                    + MAX_TIMEOUT.toSeconds() + ")");
        }
    }

    public static SessionAffinity clientIp(Duration timeout) {
        return new SessionAffinity(Type.CLIENT_IP, timeout);
    }

    public boolean isClientIp() {
        return type == Type.CLIENT_IP;
    }
}
