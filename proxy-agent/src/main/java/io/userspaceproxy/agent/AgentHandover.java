package io.userspaceproxy.agent;

import io.userspaceproxy.core.handover.Handover;
import io.userspaceproxy.core.handover.HandoverClient;
import io.userspaceproxy.core.handover.HandoverException;
import io.userspaceproxy.core.handover.HandoverServer;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.metrics.ProxyCounters;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent's part in upgrades, on both sides. At start, before anything binds, it asks an agent already running on
 * the hand-over socket for its listening sockets and gives them to the listener set, whose first apply adopts them;
 * once that apply is done it {@linkplain #takeOver takes over}: the old agent stops accepting, frees the health and
 * metrics ports, which this agent binds only then, and drains. Then, and on a first start, it listens on that socket
 * itself, so the next agent can take over from it the same way ({@link #handedOver()} completes when one has).
 *
 * <p>It never makes an upgrade worse than binding beside the old agent with SO_REUSEPORT: no socket path, NIO, no
 * agent listening, or a hand-over that fails or takes longer than {@link #TIMEOUT} leaves the listener set to bind as
 * it would anyway; a failure is logged at WARN with its reason and counted.
 */
final class AgentHandover implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentHandover.class);
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** The old agent closes every listener (each close bounded by 5 s) and its HTTP servers before it confirms. */
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(15);

    private final @Nullable Path socket;
    private final ListenerSet listeners;
    private final ProxyCounters counters;
    private final CompletableFuture<Void> handedOver = new CompletableFuture<>();
    private volatile @Nullable Handover pending;
    private volatile @Nullable HandoverServer server;

    private AgentHandover(@Nullable Path socket, ListenerSet listeners, ProxyCounters counters) {
        this.socket = socket;
        this.listeners = listeners;
        this.counters = counters;
    }

    /** Receives the running agent's sockets, if there is one, into {@code listeners}; call before the first apply. */
    static AgentHandover begin(@Nullable Path socket, ListenerSet listeners, ProxyCounters counters) {
        AgentHandover h = new AgentHandover(socket, listeners, counters);
        if (socket == null) {
            log.debug("no hand-over socket: an upgrade binds beside the running agent (SO_REUSEPORT)");
        } else if (!listeners.transport().supportsHandover()) {
            log.info("{} transport: no socket hand-over at upgrades (it needs epoll or io_uring); an upgrade binds"
                    + " beside the running agent (SO_REUSEPORT)", listeners.transport());
        } else {
            h.receive();
        }
        return h;
    }

    private void receive() {
        Path path = Objects.requireNonNull(socket, "begin() receives only with a socket");
        try {
            Optional<Handover> received = HandoverClient.receive(path, TIMEOUT);
            if (received.isEmpty()) {
                log.debug("no agent to take over from at {}", socket);
                return;
            }
            pending = received.get();
            listeners.inherit(pending.descriptors());
            log.info("received {} listening socket(s) from the running agent (pid {}) through {}: adopting them"
                    + " instead of binding", pending.descriptors().size(), pending.predecessorPid(), socket);
        } catch (HandoverException | RuntimeException e) {
            counters.onHandoverFailure();
            log.warn("cannot take over the running agent's sockets through {}: {}; binding beside it (SO_REUSEPORT)",
                    socket, e.getMessage());
        }
    }

    /** Whether the old agent still holds the health and metrics ports: start those servers after {@link #takeOver}. */
    boolean portsHeldByPredecessor() {
        return pending != null;
    }

    /**
     * After the first apply: has the old agent stop accepting and free its ports (waiting at most 15 s),
     * then runs {@code startServers} if they were waiting for that, then offers this agent's own sockets to the next
     * agent. {@code retire} is what this agent does when that one takes over (stop accepting, free the ports).
     */
    void takeOver(Runnable startServers, Runnable retire) {
        if (pending != null) {
            try {
                pending.takeOver(RELEASE_TIMEOUT);
                log.info("took over from the agent (pid {}): it stopped accepting and drains",
                        pending.predecessorPid());
            } catch (HandoverException e) {
                counters.onHandoverFailure();
                log.warn("the running agent (pid {}) did not confirm the take-over: {}; serving beside it",
                        pending.predecessorPid(), e.getMessage());
            }
            startServers.run();
        }
        if (socket != null && listeners.transport().supportsHandover()) {
            serve(retire);
        }
    }

    private void serve(Runnable retire) {
        Path path = Objects.requireNonNull(socket, "takeOver() serves only with a socket");
        try {
            server = HandoverServer.listen(path, listeners, new HandoverServer.Retirement() {
                @Override
                public void onTakeOver() {
                    retire.run();
                }

                @Override
                public void onReleased() {
                    handedOver.complete(null);
                }
            });
        } catch (IOException | RuntimeException e) {
            counters.onHandoverFailure();
            log.warn("cannot offer this agent's sockets to the next one on {}: {}; an upgrade will bind beside it",
                    socket, e.toString());
        }
    }

    /** Completes once a new agent has taken over and this one has freed its ports: time to drain and exit. */
    CompletableFuture<Void> handedOver() {
        return handedOver;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        if (pending != null) {
            pending.close();
        }
    }
}
