package io.userspaceproxy.agent.metrics;

import io.userspaceproxy.agent.http.Json;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.relay.ConnectionInfo;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The body of {@code /connections}: the oldest proxied TCP connections and UDP flows of a {@link ListenerSet}, one
 * per line, under the total count.
 *
 * <pre>{@code
 * {"total": 2, "shown": 1, "connections": [
 *   {"client": "127.0.0.2:43210", "service": "demo/echo:http", "listener": "TCP 127.0.10.1:8080",
 *    "endpoint": "127.0.0.1:18082", "connected": true, "openedAt": "2025-01-01T12:00:00.123Z",
 *    "ageSeconds": 1.234, "bytesToBackend": 10, "bytesToFrontend": 20}
 * ]}
 * }</pre>
 * (each connection on one line in the real output). The query parameter {@code limit} (0 to {@value #MAX_LIMIT},
 * default {@value #DEFAULT_LIMIT}) bounds how many are shown, so a node with a hundred thousand connections answers
 * with a page rather than a hundred megabytes; {@code total} counts them all. {@code connected} is false while a TCP
 * connection is still trying endpoints; {@code endpoint} is then the one being tried. Byte counts are payload bytes
 * relayed so far, sampled without stopping the relay.
 *
 * <p>Runs on the metrics server's own loop: sampling costs O(n log limit) there and never waits for a data-plane
 * loop.
 */
public final class ConnectionsJson implements Function<Map<String, String>, String> {

    public static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_LIMIT = 10_000;

    private final IntFunction<List<ConnectionInfo>> oldest;
    private final IntSupplier total;

    ConnectionsJson(IntFunction<List<ConnectionInfo>> oldest, IntSupplier total) {
        this.oldest = Objects.requireNonNull(oldest, "oldest");
        this.total = Objects.requireNonNull(total, "total");
    }

    /** The view of {@code listeners}' connections, for {@link MetricsServer.Builder#connections(Function)}. */
    public static ConnectionsJson of(ListenerSet listeners) {
        return new ConnectionsJson(listeners::connections, listeners::connectionCount);
    }

    /**
     * Renders the connections for a request's query parameters.
     *
     * @throws IllegalArgumentException naming the parameter when {@code limit} is not an integer in range (the
     *                                  metrics server answers 400 with the message)
     */
    @Override
    public String apply(Map<String, String> query) {
        int limit = limit(query.get("limit"));
        // Counted before sampling, so connections that open in between never make "shown" exceed "total".
        int count = total.getAsInt();
        List<ConnectionInfo> shown = oldest.apply(limit);
        return render(Math.max(count, shown.size()), shown);
    }

    static int limit(@Nullable String value) {
        if (value == null) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException(
                    "limit: " + value + " (expected: an integer from 0 to " + MAX_LIMIT + ")");
        }
        return limit;
    }

    static String render(int total, List<ConnectionInfo> shown) {
        StringBuilder json = new StringBuilder(64 + 256 * shown.size())
                .append("{\"total\": ").append(total)
                .append(", \"shown\": ").append(shown.size())
                .append(", \"connections\": [");
        for (int i = 0; i < shown.size(); i++) {
            json.append(i == 0 ? "\n  " : ",\n  ");
            appendConnection(json, shown.get(i));
        }
        return json.append(shown.isEmpty() ? "]}\n" : "\n]}\n").toString();
    }

    private static void appendConnection(StringBuilder json, ConnectionInfo c) {
        json.append("{\"client\": ");
        Json.quote(json, IpAddresses.format(c.client()));
        json.append(", \"service\": ");
        Json.quote(json, c.servicePort().toString());
        json.append(", \"listener\": ");
        Json.quote(json, c.listener().toString());
        json.append(", \"endpoint\": ");
        Json.quote(json, IpAddresses.format(c.endpoint()));
        json.append(", \"connected\": ").append(c.connected());
        json.append(", \"openedAt\": ");
        Json.quote(json, c.openedAt().truncatedTo(ChronoUnit.MILLIS).toString());
        long millis = c.age().toMillis();
        json.append(", \"ageSeconds\": ").append(millis / 1000).append('.')
                .append((char) ('0' + millis / 100 % 10))
                .append((char) ('0' + millis / 10 % 10))
                .append((char) ('0' + millis % 10));
        json.append(", \"bytesToBackend\": ").append(c.bytesToBackend());
        json.append(", \"bytesToFrontend\": ").append(c.bytesToFrontend()).append('}');
    }
}
