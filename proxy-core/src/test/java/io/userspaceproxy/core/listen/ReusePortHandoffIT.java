package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An upgrade on one node, in one JVM: an old and a new listener set bound on the same TCP listener key through
 * SO_REUSEPORT (epoll only). Each set relays to its own backend, so the backend that answers tells which set accepted.
 * Connections are made one at a time, so none is ever queued in the old set's accept queue when it closes (that
 * case is the kernel's, see {@code AcceptQueueMigration}).
 */
class ReusePortHandoffIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final int CONNECTIONS = 20;
    /** The kernel spreads connections over both sets by a hash: 64 tries all missing one set is a 2^-64 event. */
    private static final int MAX_TRIES = 64;

    private final Closer resources = new Closer();
    private final ProxyCounters oldCounters = new ProxyCounters();
    private final ProxyCounters newCounters = new ProxyCounters();

    @BeforeEach
    void setUp() {
        assumeTrue(Transport.EPOLL.isAvailable(), () -> "epoll unavailable: " + Transport.EPOLL.unavailabilityCause());
        assumeTrue(Transport.EPOLL.supportsReusePort());
    }

    @AfterEach
    void tearDown() throws Exception {
        resources.close();
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        return resources.add(resource);
    }

    private ListenerSet listenerSet(ListenerKey key, TcpEchoServer backend, ProxyCounters counters) {
        ListenerSet set = closeLater(new ListenerSet(
                new ListenerOptions(Transport.EPOLL, 1, RelayOptions.DEFAULT, Duration.ofSeconds(5)),
                BalancerFactory.ROUND_ROBIN, counters));
        Route route = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(backend.endpoint()));
        assertThat(set.apply(new RouteSnapshot(Map.of(key, route))).bound()).containsExactly(key);
        return set;
    }

    @Test
    @Timeout(30)
    void stopAccepting_newSetOnSamePort_takesEveryNewConnectionWhileOldOneFinishes() throws IOException,
            InterruptedException {
        TcpEchoServer oldBackend = closeLater(new TcpEchoServer("old"));
        TcpEchoServer newBackend = closeLater(new TcpEchoServer("new"));
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.4"));
        ListenerSet oldSet = listenerSet(key, oldBackend, oldCounters);
        ListenerSet newSet = listenerSet(key, newBackend, newCounters);

        TcpTestClient kept = connectUntilAnsweredBy("old", key);
        oldSet.stopAccepting();
        Map<String, Integer> answeredBy = new HashMap<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            try (TcpTestClient client = TcpTestClient.connect(key.address())) {
                answeredBy.merge(client.readLine(), 1, Integer::sum);
            }
        }

        assertThat(answeredBy).containsExactly(Map.entry("new", CONNECTIONS));
        assertThat(kept.writeLine("still served by the old set").readLine()).isEqualTo("still served by the old set");
        assertThat(oldSet.connectionCount()).isEqualTo(1);
        kept.shutdownOutput();
        assertThat(kept.read()).isEqualTo(-1);
        assertThat(oldSet.awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(newSet.boundKeys()).containsExactly(key);
        assertThat(oldCounters.forServicePort(WEB).connectionsOpened()).isEqualTo(oldBackend.accepted());
        assertThat(newCounters.forServicePort(WEB).connectionsOpened()).isEqualTo(newBackend.accepted())
                .isGreaterThanOrEqualTo(CONNECTIONS);
    }

    /** Connects until the set relaying to {@code backend} answers; returns that connection, open. */
    private TcpTestClient connectUntilAnsweredBy(String backend, ListenerKey key) throws IOException {
        for (int i = 0; i < MAX_TRIES; i++) {
            TcpTestClient client = TcpTestClient.connect(key.address());
            if (backend.equals(client.readLine())) {
                return closeLater(client);
            }
            client.close();
        }
        throw new AssertionError("no connection reached the " + backend + " set in " + MAX_TRIES + " tries");
    }
}
