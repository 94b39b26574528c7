package io.userspaceproxy.core.relay;

import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;

/**
 * One proxied TCP connection or UDP flow as an operator sees it, sampled at one moment. Built off the event loops
 * from fields the owning loop keeps for itself (see {@code TcpConnectionTable}): each value is one the connection
 * really had a moment ago, but two values of one record may come from slightly different moments (the byte counts
 * may lag each other by a read loop).
 *
 * @param listener        the listener the client reached: protocol and service address:port
 * @param servicePort     the service port that accepted it (the route its counters are charged to)
 * @param client          the client's address and port
 * @param endpoint        the endpoint relayed to; while a TCP connection is still connecting, the one being tried
 * @param connected       whether the backend side is connected: false while a TCP connection walks its connect
 *                        schedule, always true for a UDP flow
 * @param openedAt        when the connection was accepted (TCP) or the flow's first datagram arrived (UDP), derived
 *                        from {@code age} and the wall clock of the sample, so a clock step does not distort ages
 * @param age             how long the connection or flow has existed at the sample
 * @param bytesToBackend  payload bytes relayed from the client to the endpoint so far
 * @param bytesToFrontend payload bytes relayed from the endpoint to the client so far
 */
public record ConnectionInfo(
        ListenerKey listener,
        ServicePortName servicePort,
        InetSocketAddress client,
        InetSocketAddress endpoint,
        boolean connected,
        Instant openedAt,
        Duration age,
        long bytesToBackend,
        long bytesToFrontend) {

    /** The longest-lived first: what holds a drain up, or leaks, is usually old. */
    public static final Comparator<ConnectionInfo> OLDEST_FIRST =
            Comparator.comparing(ConnectionInfo::age).reversed();

    public ConnectionInfo {
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(servicePort, "servicePort");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(openedAt, "openedAt");
        Objects.requireNonNull(age, "age");
        if (age.isNegative()) {
            throw new IllegalArgumentException("age: " + age + " (expected: >= 0)");
        }
        if (bytesToBackend < 0 || bytesToFrontend < 0) {
            throw new IllegalArgumentException("bytesToBackend: " + bytesToBackend + ", bytesToFrontend: "
                    + bytesToFrontend + " (expected: >= 0)");
        }
    }
}
