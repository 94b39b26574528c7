package io.userspaceproxy.bench.relay;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A running agent's {@code /metrics}, read as text: sums of series and bounded waits for a value. */
final class AgentMetrics {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final URI metrics;

    AgentMetrics(int port) {
        this.metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    /** The sum of the series whose line starts with {@code prefix} and contains {@code label}. */
    long sum(String prefix, String label) throws IOException, InterruptedException {
        String body = HTTP.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(prefix) && line.contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) sum;
    }

    /** Waits, at most {@code timeout}, until the sum of {@code name}'s series equals {@code value}. */
    void await(String name, long value, Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (sum(name + "{", "") != value) {
            if (System.nanoTime() > end) {
                throw new IllegalStateException(name + " is " + sum(name + "{", "") + ", expected " + value);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** The agent's direct memory in use: the JDK's "direct" buffer pool plus Netty's own counter. */
    long directUsed() throws IOException, InterruptedException {
        return sum("userspace_proxy_direct_memory_used_bytes ", "");
    }
}
