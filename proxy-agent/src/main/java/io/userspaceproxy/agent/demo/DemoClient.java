package io.userspaceproxy.agent.demo;

import io.userspaceproxy.core.model.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a few plain HTTP requests through a Service address, each on a new connection (so each is balanced on its
 * own), and reports which endpoint answered each one. This is what the README's first command shows a newcomer.
 */
public final class DemoClient {

    private static final Logger log = LoggerFactory.getLogger(DemoClient.class);
    private static final int TIMEOUT_MILLIS = 3000;

    private DemoClient() {
    }

    /**
     * Sends {@code requests} GETs to {@code address} and returns how many times each answer (its first line) was
     * seen, in first-seen order. A failed request counts under its error.
     */
    public static Map<String, Integer> spread(InetSocketAddress address, int requests) {
        Map<String, Integer> answers = new LinkedHashMap<>();
        for (int i = 0; i < requests; i++) {
            answers.merge(get(address), 1, Integer::sum);
        }
        return answers;
    }

    /** Runs {@link #spread} and logs the outcome for {@code servicePort}. */
    public static void show(String servicePort, InetSocketAddress address, int requests) {
        Map<String, Integer> answers = spread(address, requests);
        for (Map.Entry<String, Integer> e : new TreeMap<>(answers).entrySet()) {
            log.info("demo: {} via {}: {} x \"{}\"", servicePort, Endpoint.of(address.getAddress().getHostAddress(),
                    address.getPort()), e.getValue(), e.getKey());
        }
        log.info("demo: {} spread {} requests over {} distinct answers; try: curl http://{}/", servicePort, requests,
                answers.size(), new Endpoint(address));
    }

    /**
     * Sends one datagram from each of {@code clients} fresh sockets (so each opens its own flow) and returns how many
     * times each answer was seen, with the source the answer came from.
     */
    public static Map<String, Integer> spreadUdp(InetSocketAddress address, int clients) {
        Map<String, Integer> answers = new LinkedHashMap<>();
        for (int i = 0; i < clients; i++) {
            answers.merge(exchange(address, "ping " + i), 1, Integer::sum);
        }
        return answers;
    }

    /** Runs {@link #spreadUdp} and logs the outcome for {@code servicePort}. */
    public static void showUdp(String servicePort, InetSocketAddress address, int clients) {
        Map<String, Integer> answers = spreadUdp(address, clients);
        for (Map.Entry<String, Integer> e : new TreeMap<>(answers).entrySet()) {
            log.info("demo: {} via UDP {}: {} x \"{}\"", servicePort, new Endpoint(address), e.getValue(), e.getKey());
        }
        log.info("demo: {} spread {} UDP clients over {} distinct answers; try: echo hi | nc -u -w1 {} {}",
                servicePort, clients, answers.size(), address.getAddress().getHostAddress(), address.getPort());
    }

    static String exchange(InetSocketAddress address, String payload) {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(address.getAddress().isLoopbackAddress()
                ? InetAddress.getLoopbackAddress() : null, 0))) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            byte[] out = payload.getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(out, out.length, address));
            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            socket.receive(in);
            String text = new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8);
            // Keep the backend's name, drop the echoed payload, which differs per client.
            int colon = text.lastIndexOf(": ");
            return (colon < 0 ? text : text.substring(0, colon)) + " (reply from " + new Endpoint(
                    (InetSocketAddress) in.getSocketAddress()) + ")";
        } catch (IOException e) {
            return "error: " + e.getMessage();
        }
    }

    static String get(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            String host = new Endpoint(address).toString();
            s.getOutputStream().write(("GET / HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = read(s.getInputStream());
            int body = response.indexOf("\r\n\r\n");
            String text = body < 0 ? response : response.substring(body + 4);
            String first = text.lines().findFirst().orElse("").trim();
            return first.isEmpty() ? "(empty answer)" : first;
        } catch (IOException e) {
            return "error: " + e.getMessage();
        }
    }

    private static String read(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(64 * 1024);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
