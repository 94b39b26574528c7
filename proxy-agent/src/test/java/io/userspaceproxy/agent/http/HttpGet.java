package io.userspaceproxy.agent.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP requests against a loopback server, for the agent's endpoint tests. */
public final class HttpGet {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpGet() {
    }

    public static HttpResponse<String> get(InetSocketAddress server, String path) throws IOException, InterruptedException {
        return send(server, path, "GET", null);
    }

    public static HttpResponse<String> get(InetSocketAddress server, String path, String accept)
            throws IOException, InterruptedException {
        return send(server, path, "GET", accept);
    }

    public static HttpResponse<String> send(InetSocketAddress server, String path, String method, String accept)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getPort() + path))
                .timeout(Duration.ofSeconds(5))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (accept != null) {
            request.header("Accept", accept);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
