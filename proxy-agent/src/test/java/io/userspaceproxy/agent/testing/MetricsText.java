package io.userspaceproxy.agent.testing;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

/** Reads the agent's {@code /metrics} over loopback HTTP and sums the samples a test asks about. */
public final class MetricsText {

    private MetricsText() {
    }

    /** The body of {@code GET path} on the agent's metrics server at {@code address}. */
    public static String get(InetSocketAddress address, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + address.getPort() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.body();
    }

    /** The sum of the samples whose line starts with {@code name} and contains every {@code part}. */
    public static double value(String metrics, String name, String... parts) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> Arrays.stream(parts).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
