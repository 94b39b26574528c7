package io.userspaceproxy.agent.health;

import io.netty.handler.codec.http.FullHttpResponse;
import io.userspaceproxy.agent.http.AgentHttpServer;
import io.userspaceproxy.agent.http.HttpBindException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;

/**
 * kube-proxy's health port (default {@code 0.0.0.0:10256}): {@code /healthz} for readiness and load-balancer
 * health checks, {@code /livez} for liveness, each answering 200 or 503 with a small JSON body from
 * {@link SyncHealth}. Served on its own small event loop (see {@link AgentHttpServer}), never the data plane's.
 */
public final class HealthServer implements AutoCloseable {

    /** kube-proxy's default health address. */
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("0.0.0.0", 10256);

    private final AgentHttpServer server;

    private HealthServer(AgentHttpServer server) {
        this.server = server;
    }

    /**
     * Binds {@code bindAddress} (port 0 picks a free port) and starts answering probes.
     *
     * @throws HttpBindException naming the address and the reason when it cannot be bound
     */
    public static HealthServer start(InetSocketAddress bindAddress, SyncHealth health) throws HttpBindException {
        Objects.requireNonNull(health, "health");
        AgentHttpServer server = AgentHttpServer.start("healthz", bindAddress, Map.of(
                "/healthz", (request, uri) -> answer(health.probe(Probe.HEALTHZ)),
                "/livez", (request, uri) -> answer(health.probe(Probe.LIVEZ))));
        return new HealthServer(server);
    }

    /** The bound address, with the real port when port 0 was requested. */
    public InetSocketAddress address() {
        return server.address();
    }

    @Override
    public void close() {
        server.close();
    }

    private static FullHttpResponse answer(ProbeResult result) {
        return AgentHttpServer.response(result.statusCode(), AgentHttpServer.JSON, result.json());
    }
}
