package io.userspaceproxy.core.model;

/** How a route picks the endpoint of a new connection or UDP flow, when no session affinity decides. */
public enum BalancingAlgorithm {
    /** Each endpoint in turn (today's, and the default). */
    ROUND_ROBIN,
    /** The endpoint with the fewest open TCP connections on this node; ties in turn. */
    LEAST_CONNECTIONS,
    /**
     * Maglev consistent hashing of the client's IP: every node sends a client to the same endpoint, and a change of
     * endpoints moves only about 1/N of the clients.
     */
    MAGLEV
}
