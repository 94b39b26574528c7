package io.userspaceproxy.agent.watch.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.ClusterState;
import io.userspaceproxy.agent.watch.convert.KubernetesObjects;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The informer handler on its own: what reaches the tracker for each event. */
class TrackerHandlerTest {

    private static final ObjectRef WEB = ObjectRef.of("shop", "web");

    private final ChangeTracker tracker = new ChangeTracker();
    private final List<String> invalid = new ArrayList<>();
    private final List<String> warned = new ArrayList<>();
    private final TrackerHandler<Service> handler = new TrackerHandler<>("Service", ServiceProxySelector.of(null),
            (s, warnings) -> tracker.onServiceUpserted(KubernetesObjects.service(s, warnings)),
            tracker::onServiceDeleted, invalid::add, warned::add);

    private static ServiceBuilder web(String resourceVersion, String clusterIp) {
        return new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("web")
                .withResourceVersion(resourceVersion).endMetadata()
                .withNewSpec().withClusterIP(clusterIp).addNewPort().withPort(80).endPort().endSpec();
    }

    @Test
    void onAdd_valid_upserted() {
        handler.onAdd(web("1", "10.96.0.1").build());

        assertThat(tracker.checkout().services()).containsOnlyKeys(WEB);
    }

    @Test
    void onUpdate_resyncOfTheSameObject_noChange() {
        Service s = web("1", "10.96.0.1").build();
        handler.onAdd(s);
        tracker.checkout();

        handler.onUpdate(s, s);
        handler.onUpdate(s, web("1", "10.96.0.1").build());

        assertThat(tracker.checkout().changedServices()).isZero();
    }

    /** Issue 11: an API server restored from a backup repeats resource versions; the content decides. */
    @Test
    void onUpdate_resyncWithContentChangedUnderTheSameVersion_applied() {
        Service s = web("1", "10.96.0.1").build();
        handler.onAdd(s);
        tracker.checkout();
        Service restored = web("1", "10.96.0.99").build(); // what fabric8's cache holds after the relist

        handler.onUpdate(restored, restored);

        assertThat(tracker.checkout().services().get(WEB).clusterIPs().get(0).getHostAddress())
                .isEqualTo("10.96.0.99");
    }

    @Test
    void onUpdate_sameResourceVersionButChangedContent_applied() {
        Service s = web("1", "10.96.0.1").build();
        handler.onAdd(s);
        tracker.checkout();
        Service restored = web("1", "10.96.0.99").build();

        handler.onUpdate(s, restored);

        ClusterState state = tracker.checkout();
        assertThat(state.changedServices()).isEqualTo(1);
        assertThat(state.services().get(WEB).clusterIPs().get(0).getHostAddress()).isEqualTo("10.96.0.99");
    }

    @Test
    void onAdd_portListWithNullEntry_rejectedAndCounted_othersUnaffected() {
        handler.onAdd(web("1", "10.96.0.1").build());
        Service broken = web("1", "10.96.0.2").editMetadata().withName("broken").endMetadata().build();
        broken.getSpec().getPorts().add(null);

        handler.onAdd(broken);

        assertThat(tracker.checkout().services()).containsOnlyKeys(WEB);
        assertThat(invalid).containsExactly("Service");
    }

    @Test
    void onUpdate_labelledForAnotherProxy_deleted() {
        Service s = web("1", "10.96.0.1").build();
        handler.onAdd(s);

        handler.onUpdate(s, web("2", "10.96.0.1").editMetadata()
                .addToLabels(ServiceProxySelector.SERVICE_PROXY_NAME_LABEL, "other").endMetadata().build());

        assertThat(tracker.checkout().services()).isEmpty();
        assertThat(invalid).isEmpty();
    }

    @Test
    void onUpdate_becomesInvalid_deletedAndCounted() {
        Service s = web("1", "10.96.0.1").build();
        handler.onAdd(s);

        handler.onUpdate(s, web("2", "not-an-ip").build());

        assertThat(tracker.checkout().services()).isEmpty();
        assertThat(invalid).containsExactly("Service");
    }

    @Test
    void onDelete_evenWithUnknownFinalState_deleted() {
        Service s = web("1", "10.96.0.1").build();
        handler.onAdd(s);

        handler.onDelete(s, true);

        assertThat(tracker.checkout().services()).isEmpty();
    }

    @Test
    void onAdd_unknownLoadBalancer_servedRoundRobin_warningCountedOnce_notAgainAtAResync() {
        Service s = web("1", "10.96.0.1").editMetadata()
                .addToAnnotations(KubernetesObjects.LOAD_BALANCER_ANNOTATION, "fastest").endMetadata().build();

        handler.onAdd(s);
        handler.onUpdate(s, s);

        assertThat(tracker.checkout().services()).containsOnlyKeys(WEB);
        assertThat(warned).containsExactly("Service");
        assertThat(invalid).isEmpty();
    }
}
