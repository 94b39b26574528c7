package io.userspaceproxy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.core.model.IpAddresses;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class NodeTrackerTest {

    private final NodeTracker tracker = new NodeTracker();
    private final AtomicInteger wakeUps = new AtomicInteger();

    private static NodeInfo node(String zone) {
        return new NodeInfo("node-a", zone, List.of(IpAddresses.parse("10.0.0.5")), false, List.of());
    }

    @Test
    void unknownNode_noZoneNoNode() {
        assertThat(tracker.zone()).isNull();
        assertThat(tracker.current()).isEmpty();
    }

    @Test
    void upsert_changedOnly_wakesTheSync() {
        tracker.setChangeListener(wakeUps::incrementAndGet);

        tracker.onNodeUpserted(node("zone-1"));
        tracker.onNodeUpserted(node("zone-1"));
        tracker.onNodeUpserted(node("zone-2"));

        assertThat(wakeUps).hasValue(2);
        assertThat(tracker.zone()).isEqualTo("zone-2");
    }

    @Test
    void delete_knownNode_forgetsItAndWakesTheSync() {
        tracker.onNodeUpserted(node("zone-1"));
        tracker.setChangeListener(wakeUps::incrementAndGet);

        tracker.onNodeDeleted();
        tracker.onNodeDeleted();

        assertThat(wakeUps).hasValue(1);
        assertThat(tracker.zone()).isNull();
    }
}
