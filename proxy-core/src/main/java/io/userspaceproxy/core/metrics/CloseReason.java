package io.userspaceproxy.core.metrics;

/**
 * Why a proxied TCP connection ended. Every close is attributed to exactly one reason and counted, the way
 * Envoy's tcp_proxy accounts for each close.
 */
public enum CloseReason {
    /** Both directions finished normally (each side shut its output, possibly one after the other). */
    COMPLETED,
    /** The frontend (client) reset or failed. */
    FRONTEND_ERROR,
    /** The backend (endpoint) reset or failed after the connection was established. */
    BACKEND_ERROR,
    /** No endpoint accepted a connection within the retry schedule. */
    CONNECT_FAILED,
    /** The service port had no usable endpoint: the client was reset at once. */
    NO_ENDPOINTS,
    /** The client's address is outside the Service's load-balancer source ranges. */
    SOURCE_RANGE_REJECTED,
    /**
     * Direct memory was near its limit ({@link io.userspaceproxy.core.relay.DirectMemoryGuard}): the client was
     * refused so that the connections already open keep their buffers.
     */
    MEMORY_REJECTED,
    /**
     * A client that must start with a PROXY protocol header (its source is one the Service trusts to send one) sent a
     * malformed one, something else, or nothing in time.
     */
    PROXY_PROTOCOL_REJECTED,
    /** Its endpoint left the route, and the route's lifecycle says close (at once, or after a drain). */
    ENDPOINT_REMOVED,
    /** It reached the route's maximum connection age (plus its jitter). */
    MAX_AGE,
    /**
     * It was held while the service port had no endpoint ({@code hold-when-empty}) and none came within the hold
     * time: the client was reset.
     */
    HOLD_TIMEOUT,
    /** Nothing moved in either direction for the idle timeout. */
    IDLE_TIMEOUT,
    /** The agent was shutting down and the drain timeout ran out. */
    SHUTDOWN;

    /**
     * Whether this reason refuses a client before anything is relayed, by decision (no endpoint, source range,
     * memory, PROXY header): exported as a rejection, not as a connection closed, so each is counted once.
     */
    public boolean isRejection() {
        return this == NO_ENDPOINTS || this == SOURCE_RANGE_REJECTED || this == MEMORY_REJECTED
                || this == PROXY_PROTOCOL_REJECTED;
    }
}
