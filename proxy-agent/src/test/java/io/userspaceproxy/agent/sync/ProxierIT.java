package io.userspaceproxy.agent.sync;

import static io.userspaceproxy.agent.sync.Fixtures.ip;
import static io.userspaceproxy.agent.sync.Fixtures.ips;
import static io.userspaceproxy.agent.sync.Fixtures.ready;
import static io.userspaceproxy.agent.sync.Fixtures.slice;
import static io.userspaceproxy.agent.sync.Fixtures.svc;
import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.core.listen.ListenerOptions;
import io.userspaceproxy.core.listen.ListenerSet;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One sync against real loopback listeners: the Service addresses step runs before the binds, and may fail alone. */
@Timeout(30)
class ProxierIT {

    private final ChangeTracker tracker = new ChangeTracker();
    private final ListenerSet listeners = new ListenerSet(ListenerOptions.defaults(), new ProxyCounters());
    private final TcpEchoServer backend = new TcpEchoServer("a");
    private final List<Set<InetAddress>> requested = new ArrayList<>();
    private final List<Set<ListenerKey>> boundWhenRequested = new ArrayList<>();
    private RuntimeException addressFailure;

    private final Proxier proxier = new Proxier(tracker, new SnapshotBuilder(Duration.ofSeconds(1)),
            () -> new NodeContext("node-a", null, List.of(ip("127.0.0.1"))), listeners, addresses -> {
                requested.add(addresses);
                boundWhenRequested.add(listeners.boundKeys());
                if (addressFailure != null) {
                    throw addressFailure;
                }
            });

    @AfterEach
    void tearDown() throws Exception {
        listeners.close();
        backend.close();
    }

    private void serve() {
        int nodePort = TcpPorts.freeAddress("127.0.0.1").getPort();
        tracker.onServiceUpserted(svc("web", "127.0.34.1", 8080).type(ServiceType.NODE_PORT)
                .ports(List.of(ServicePortInfo.of("http", Protocol.TCP, 8080)
                        .withNodePort(nodePort)))
                .externalIPs(ips("192.0.2.7")).build());
        tracker.onSliceUpserted(slice("web-1", "web", backend.address().getPort(), ready("127.0.0.1")));
    }

    @Test
    void sync_serviceAddresses_requestedBeforeListenersBind_withoutLoopbackOrNodePorts() {
        serve();

        Proxier.SyncReport report = proxier.sync();

        assertThat(requested).containsExactly(Set.of(ip("192.0.2.7")));
        assertThat(boundWhenRequested.get(0)).isEmpty();
        assertThat(report.addressesSynced()).isTrue();
        assertThat(listeners.boundKeys()).contains(key("127.0.34.1", 8080));
    }

    @Test
    void sync_serviceAddressesFail_restServedCountedAndRetryAsked() throws Exception {
        serve();
        addressFailure = new IllegalStateException("ip: RTNETLINK answers: Operation not permitted");

        Proxier.SyncReport report = proxier.sync();

        assertThat(report.addressesSynced()).isFalse();
        assertThat(report.needsRetry()).isTrue();
        assertThat(proxier.addressSyncFailures()).isEqualTo(1);
        try (TcpTestClient client = TcpTestClient.connect(new InetSocketAddress(ip("127.0.34.1"), 8080))) {
            assertThat(client.readLine()).isEqualTo("a");
        }

        addressFailure = null;
        assertThat(proxier.sync().addressesSynced()).isTrue();
        assertThat(proxier.addressSyncFailures()).isEqualTo(1);
    }

    @Test
    void sync_sliceChangeWithTriggerTime_latencyUpToTheApply() {
        Instant trigger = Instant.now();
        serve();
        EndpointSliceInfo s = slice("web-1", "web", backend.address().getPort(), ready("127.0.0.2"));
        tracker.onSliceUpserted(new EndpointSliceInfo(s.ref(), s.serviceName(), s.addressType(), s.ports(),
                s.endpoints(), trigger));

        Proxier.SyncReport report = proxier.sync();

        assertThat(report.networkProgrammingLatencies())
                .containsExactly(Duration.between(trigger, report.appliedAt()));
        assertThat(report.appliedAt()).isAfterOrEqualTo(trigger);
        assertThat(proxier.sync().networkProgrammingLatencies()).as("reported by one sync only").isEmpty();
    }

    private static ListenerKey key(String ip, int port) {
        return ListenerKey.of(Protocol.TCP, new InetSocketAddress(ip(ip), port));
    }

    @Test
    void sync_endpointOnlyChange_isPartialReroutesOneListenerAndLeavesTheAddressesAlone() {
        serve();
        proxier.sync();

        tracker.onSliceUpserted(slice("web-1", "web", backend.address().getPort(), ready("127.0.0.2")));
        Proxier.SyncReport report = proxier.sync();

        assertThat(report.full()).isFalse();
        assertThat(report.built().changes().upserted()).containsKey(key("127.0.34.1", 8080));
        assertThat(report.applied().bound()).isEmpty();
        assertThat(requested).as("no address came or went: no address sync").hasSize(1);
    }

    @Test
    void warmUp_touchesNothingOfTheAgent() {
        serve();
        proxier.sync();
        Set<ListenerKey> bound = listeners.boundKeys();
        tracker.onSliceUpserted(slice("web-1", "web", backend.address().getPort(), ready("127.0.0.2")));

        proxier.warmUp();

        assertThat(tracker.hasPending()).as("the pending change is still there").isTrue();
        assertThat(listeners.boundKeys()).isEqualTo(bound);
        assertThat(proxier.served()).doesNotContainKey(
                ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.255.255.254", 9)));
    }
}
