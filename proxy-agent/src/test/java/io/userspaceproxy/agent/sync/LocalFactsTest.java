package io.userspaceproxy.agent.sync;

import static io.userspaceproxy.agent.sync.Fixtures.on;
import static io.userspaceproxy.agent.sync.Fixtures.ref;
import static io.userspaceproxy.agent.sync.Fixtures.slice;
import static io.userspaceproxy.agent.sync.Fixtures.svc;
import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServiceType;
import io.userspaceproxy.agent.state.TrafficPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The health-check and no-local-endpoints facts follow a change of one Service without looking at the others. */
class LocalFactsTest {

    private final ChangeTracker tracker = new ChangeTracker();
    private final LocalFacts facts = new LocalFacts();

    private static ServiceInfo localLb(String name, int healthCheckNodePort) {
        return svc(name, "10.96.0.1", 80).type(ServiceType.LOAD_BALANCER)
                .externalTrafficPolicy(TrafficPolicy.LOCAL).healthCheckNodePort(healthCheckNodePort).build();
    }

    @Test
    void apply_changesOfOneService_moveItsFactsAndTheTotals() {
        tracker.onServiceUpserted(localLb("web", 30001));
        tracker.onServiceUpserted(localLb("api", 30002));
        tracker.onServiceUpserted(svc("plain", "10.96.0.3", 80).build());
        facts.replaceAll(tracker.checkout(), "node-a");
        assertThat(facts.healthCheckNodePorts()).containsExactly(Map.entry(ref("api"), 30002),
                Map.entry(ref("web"), 30001));
        assertThat(facts.noLocalEndpoints()).isEqualTo(new LocalEndpoints.NoLocalEndpoints(0, 2));

        tracker.onSliceUpserted(slice("web-1", "web", 8080, on("node-a", "10.0.0.1"), on("node-b", "10.0.0.2")));
        facts.apply(tracker.checkoutChanges(), "node-a");

        assertThat(facts.readyOnNode()).containsEntry(ref("web"), 1).containsEntry(ref("api"), 0);
        assertThat(facts.noLocalEndpoints()).isEqualTo(new LocalEndpoints.NoLocalEndpoints(0, 1));

        tracker.onServiceDeleted(ref("api"));
        facts.apply(tracker.checkoutChanges(), "node-a");

        assertThat(facts.healthCheckNodePorts()).containsOnlyKeys(ref("web"));
        assertThat(facts.noLocalEndpoints()).isEqualTo(new LocalEndpoints.NoLocalEndpoints(0, 0));
    }
}
