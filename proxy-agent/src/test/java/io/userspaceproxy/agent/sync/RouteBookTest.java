package io.userspaceproxy.agent.sync;

import static io.userspaceproxy.agent.sync.Fixtures.NODE_A;
import static io.userspaceproxy.agent.sync.Fixtures.ready;
import static io.userspaceproxy.agent.sync.Fixtures.ref;
import static io.userspaceproxy.agent.sync.Fixtures.slice;
import static io.userspaceproxy.agent.sync.Fixtures.svc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.RouteSnapshot;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The incremental builder: a sync hands over the Services that changed, and gets back exactly the listeners whose
 * route changed or went away; after any sequence of changes the routes equal a build of the whole state.
 */
class RouteBookTest {

    private static final ListenerKey WEB = key("127.0.10.1", 80);
    private static final ListenerKey API = key("127.0.10.2", 80);

    private final ChangeTracker tracker = new ChangeTracker();
    private final SnapshotBuilder builder = new SnapshotBuilder(Duration.ofSeconds(1));

    private static ListenerKey key(String ip, int port) {
        return ListenerKey.of(Protocol.TCP, new InetSocketAddress(ip, port));
    }

    private void start(ServiceInfo... initial) {
        for (ServiceInfo s : initial) {
            tracker.onServiceUpserted(s);
        }
        builder.rebuild(tracker.checkout(), NODE_A);
    }

    private RouteUpdate sync() {
        RouteUpdate update = builder.apply(tracker.checkoutChanges(), NODE_A);
        // Whatever happened, the routes kept are those a build of the whole state gives.
        assertThat(builder.routes()).isEqualTo(new SnapshotBuilder(Duration.ofSeconds(1))
                .build(tracker.checkout(), NODE_A, new RouteSnapshot(builder.routes()))
                .snapshot().routes());
        return update;
    }

    @Test
    void apply_oneSliceChanged_namesOnlyThatServicesListenerAndKeepsTheOthersRoutes() {
        start(svc("web", "127.0.10.1", 80).build(), svc("api", "127.0.10.2", 80).build());
        Route api = builder.routes().get(API);

        tracker.onSliceUpserted(slice("web-1", "web", 8080, ready("10.0.0.1")));
        RouteUpdate update = sync();

        assertThat(update.changes().upserted()).containsOnlyKeys(WEB);
        assertThat(update.changes().removed()).isEmpty();
        assertThat(update.changes().upserted().get(WEB).endpoints()).hasSize(1);
        assertThat(builder.routes().get(API)).as("untouched: the same object").isSameAs(api);
    }

    @Test
    void apply_serviceDeleted_removesItsListeners() {
        start(svc("web", "127.0.10.1", 80).build(), svc("api", "127.0.10.2", 80).build());

        tracker.onServiceDeleted(ref("web"));
        RouteUpdate update = sync();

        assertThat(update.changes()).isEqualTo(new RouteChanges(Map.of(), Set.of(WEB)));
        assertThat(update.counts().services()).isEqualTo(1);
        assertThat(update.counts().listeners()).isEqualTo(1);
    }

    @Test
    void apply_contestedListener_staysWithItsHolderThenPassesToTheNextClaimant() {
        start(svc("web", "127.0.10.1", 80).build());
        Route held = builder.routes().get(WEB);

        tracker.onServiceUpserted(svc("aaa", "127.0.10.1", 80).build()); // sorts first, but comes second
        RouteUpdate contested = sync();
        assertThat(contested.changes().isEmpty()).isTrue();
        assertThat(builder.routes().get(WEB)).isSameAs(held);
        assertThat(contested.problems()).singleElement().asString()
                .contains("serving demo/web:http").contains("which already held it").contains("ignoring demo/aaa:http");
        assertThat(contested.counts().conflicts()).isEqualTo(1);

        tracker.onServiceDeleted(ref("web"));
        RouteUpdate handedOver = sync();

        assertThat(handedOver.changes().upserted()).containsOnlyKeys(WEB);
        assertThat(builder.routes().get(WEB).servicePort().name()).isEqualTo("aaa");
        assertThat(handedOver.problems()).isEmpty();
        assertThat(handedOver.counts().conflicts()).isZero();
    }

    @Test
    void apply_contestLoserDeleted_leavesNoProblemAndNoChange() {
        start(svc("web", "127.0.10.1", 80).build(), svc("zzz", "127.0.10.1", 80).build());
        assertThat(builder.rebuild(tracker.checkout(), NODE_A).problems()).hasSize(1);

        tracker.onServiceDeleted(ref("zzz"));
        RouteUpdate update = sync();

        assertThat(update.changes().isEmpty()).isTrue();
        assertThat(update.problems()).isEmpty();
    }

    @Test
    void apply_sameServiceDeliveredAgain_changesNothing() {
        start(svc("web", "127.0.10.1", 80).build());
        EndpointSliceInfo s = slice("web-1", "web", 8080, ready("10.0.0.1"));
        tracker.onSliceUpserted(s);
        sync();

        tracker.onSliceUpserted(slice("web-1", "web", 8080, ready("10.0.0.1")));

        assertThat(sync().changes().isEmpty()).isTrue();
    }

    @Test
    void apply_nodeChanged_mustRebuildEverything() {
        start(svc("web", "127.0.10.1", 80).build());
        NodeContext other = new NodeContext("node-b", "zone-b", List.of());

        assertThatThrownBy(() -> builder.apply(tracker.checkoutChanges(), other))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("rebuild");
    }

    @Test
    void serviceAddresses_followListenersComingAndGoing() {
        start(svc("web", "10.96.0.1", 80).build());
        assertThat(builder.serviceAddresses()).containsExactly(Fixtures.ip("10.96.0.1"));
        assertThat(builder.serviceAddressesChanged()).isTrue();

        tracker.onSliceUpserted(slice("web-1", "web", 8080, ready("10.0.0.1")));
        sync();
        assertThat(builder.serviceAddressesChanged()).as("an endpoint change adds no address").isFalse();

        tracker.onServiceDeleted(ref("web"));
        sync();
        assertThat(builder.serviceAddresses()).isEmpty();
        assertThat(builder.serviceAddressesChanged()).isTrue();
    }
}
