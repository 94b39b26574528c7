package io.userspaceproxy.agent.demo;

import io.userspaceproxy.agent.http.AgentHttpServer;
import io.userspaceproxy.agent.http.HttpBindException;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.Protocol;
import java.io.IOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stand-in pods for the local dev proxy's demo: one tiny server on every loopback endpoint of the manifests that
 * nothing else listens on yet, each answering with its own address so that a request shows which endpoint the
 * proxy chose. TCP endpoints get an HTTP server ({@code curl} works), UDP endpoints an echo that prefixes its name.
 * Endpoints already in use are left alone: those are the developer's own services.
 */
public final class DemoBackends implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoBackends.class);

    private final List<AgentHttpServer> httpServers = new ArrayList<>();
    private final List<DatagramSocket> udpSockets = new ArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "demo-backend");
        t.setDaemon(true);
        return t;
    });

    /** A backend to start: the endpoint and a label naming the service port it belongs to. */
    public record Backend(Protocol protocol, Endpoint endpoint, String servicePort) {
    }

    /** Starts a backend for each loopback endpoint among {@code backends} whose port is free. */
    public static DemoBackends start(List<Backend> backends) {
        DemoBackends demo = new DemoBackends();
        for (Backend b : backends) {
            if (!b.endpoint().address().getAddress().isLoopbackAddress()) {
                continue;
            }
            try {
                if (b.protocol() == Protocol.TCP) {
                    demo.startHttp(b);
                } else {
                    demo.startUdp(b);
                }
            } catch (BindException e) {
                log.info("demo: {} {} is already in use, leaving it to whatever listens there", b.protocol(),
                        b.endpoint());
            } catch (IOException e) {
                log.warn("demo: could not start a backend on {} {}: {}", b.protocol(), b.endpoint(), e.toString());
            }
        }
        return demo;
    }

    public int size() {
        return httpServers.size() + udpSockets.size();
    }

    /** On the agent's own HTTP server ({@link AgentHttpServer}): {@code GET /} answers with the endpoint's name. */
    private void startHttp(Backend b) throws IOException {
        String body = "hello from " + b.endpoint() + " (an endpoint of " + b.servicePort() + ")\n";
        try {
            httpServers.add(AgentHttpServer.start("demo backend", b.endpoint().address(),
                    Map.of("/", (request, uri) -> AgentHttpServer.response(200, AgentHttpServer.TEXT, body))));
        } catch (HttpBindException e) {
            throw e.getCause() instanceof BindException inUse ? inUse : e;
        }
        log.info("demo: HTTP backend on {} for {}", b.endpoint(), b.servicePort());
    }

    private void startUdp(Backend b) throws SocketException {
        DatagramSocket socket = new DatagramSocket(b.endpoint().address());
        udpSockets.add(socket);
        byte[] prefix = ("hello from " + b.endpoint() + ": ").getBytes(StandardCharsets.UTF_8);
        executor.execute(() -> echo(socket, prefix));
        log.info("demo: UDP echo backend on {} for {}", b.endpoint(), b.servicePort());
    }

    private static void echo(DatagramSocket socket, byte[] prefix) {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                int n = Math.min(in.getLength(), buf.length - prefix.length);
                byte[] out = new byte[prefix.length + n];
                System.arraycopy(prefix, 0, out, 0, prefix.length);
                System.arraycopy(in.getData(), 0, out, prefix.length, n);
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    log.debug("demo: UDP echo error: {}", e.toString());
                }
            }
        }
    }

    public List<InetSocketAddress> httpAddresses() {
        return httpServers.stream().map(AgentHttpServer::address).toList();
    }

    @Override
    public void close() {
        httpServers.forEach(AgentHttpServer::close);
        udpSockets.forEach(DatagramSocket::close);
        executor.shutdownNow();
    }
}
