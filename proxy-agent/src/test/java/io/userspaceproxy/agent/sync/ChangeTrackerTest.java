package io.userspaceproxy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChangeTrackerTest {

    private static final ObjectRef ECHO = ObjectRef.of("demo", "echo");

    private final ChangeTracker tracker = new ChangeTracker();

    private static ServiceInfo service(ObjectRef ref, int port) {
        return ServiceInfo.builder(ref)
                .clusterIPs(List.of(IpAddresses.parse("127.0.10.1")))
                .port(ServicePortInfo.of("http", Protocol.TCP, port))
                .build();
    }

    private static EndpointSliceInfo slice(String name, String service, String ip) {
        return new EndpointSliceInfo(ObjectRef.of("demo", name), service, AddressType.IPV4,
                List.of(EndpointPortInfo.of("http", Protocol.TCP, 18081)),
                List.of(EndpointInfo.ready(IpAddresses.parse(ip), null)));
    }

    @Test
    void upsertThenDelete_ofNewService_leavesNothingPending() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onServiceDeleted(ECHO);

        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.pendingServiceChanges()).isZero();
        assertThat(tracker.checkout().services()).isEmpty();
    }

    @Test
    void upsertThenDelete_ofNewSlice_leavesNothingPending() {
        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.1"));
        tracker.onSliceDeleted(ObjectRef.of("demo", "echo-1"));

        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.pendingEndpointChanges()).isZero();
    }

    @Test
    void twoUpdates_ofOneService_areOnePendingChange() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onServiceUpserted(service(ECHO, 81));

        assertThat(tracker.pendingServiceChanges()).isEqualTo(1);
        ClusterState state = tracker.checkout();
        assertThat(state.changedServices()).isEqualTo(1);
        assertThat(state.services().get(ECHO).ports().get(0).port()).isEqualTo(81);
    }

    @Test
    void updateBackToCheckedOutValue_leavesNothingPending() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.checkout();

        tracker.onServiceUpserted(service(ECHO, 81));
        tracker.onServiceUpserted(service(ECHO, 80));

        assertThat(tracker.hasPending()).isFalse();
    }

    @Test
    void deleteThenReAdd_ofExistingService_leavesNothingPending() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.checkout();

        tracker.onServiceDeleted(ECHO);
        tracker.onServiceUpserted(service(ECHO, 80));

        assertThat(tracker.hasPending()).isFalse();
    }

    @Test
    void upsertOfEqualValue_isNoChange() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.checkout();
        long before = tracker.serviceChanges();

        tracker.onServiceUpserted(service(ECHO, 80));

        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.serviceChanges()).isEqualTo(before);
    }

    @Test
    void deleteOfUnknownObject_isNoChange() {
        tracker.onServiceDeleted(ECHO);
        tracker.onSliceDeleted(ECHO);

        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.serviceChanges() + tracker.endpointChanges()).isZero();
    }

    @Test
    void counts_separateServicesFromEndpoints() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onServiceUpserted(service(ObjectRef.of("demo", "hello"), 80));
        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.1"));
        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.2"));

        assertThat(tracker.pendingServiceChanges()).isEqualTo(2);
        assertThat(tracker.pendingEndpointChanges()).isEqualTo(1);
        assertThat(tracker.serviceChanges()).isEqualTo(2);
        assertThat(tracker.endpointChanges()).isEqualTo(2);
        ClusterState state = tracker.checkout();
        assertThat(state.changedServices()).isEqualTo(2);
        assertThat(state.changedEndpointSlices()).isEqualTo(1);
    }

    @Test
    void checkout_clearsPendingButKeepsFullState() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.checkout();

        ClusterState second = tracker.checkout();

        assertThat(tracker.hasPending()).isFalse();
        assertThat(second.services()).containsOnlyKeys(ECHO);
        assertThat(second.changedServices()).isZero();
    }

    @Test
    void checkout_groupsSlicesByServiceInNameOrder() {
        tracker.onSliceUpserted(slice("echo-b", "echo", "127.0.0.2"));
        tracker.onSliceUpserted(slice("hello-a", "hello", "127.0.0.3"));
        tracker.onSliceUpserted(slice("echo-a", "echo", "127.0.0.1"));

        ClusterState state = tracker.checkout();

        assertThat(state.slicesOf(ECHO)).extracting(s -> s.ref().name()).containsExactly("echo-a", "echo-b");
        assertThat(state.slicesOf(ObjectRef.of("demo", "hello"))).hasSize(1);
        assertThat(state.slicesOf(ObjectRef.of("demo", "none"))).isEmpty();
    }

    @Test
    void checkout_isASnapshotNotAView() {
        tracker.onServiceUpserted(service(ECHO, 80));
        ClusterState state = tracker.checkout();

        tracker.onServiceDeleted(ECHO);

        assertThat(state.services()).containsOnlyKeys(ECHO);
    }

    @Test
    void changeListener_runsOnEveryChangeAndNotOnNoOps() {
        AtomicInteger calls = new AtomicInteger();
        tracker.setChangeListener(calls::incrementAndGet);

        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.1"));
        tracker.onServiceDeleted(ObjectRef.of("demo", "unknown"));

        assertThat(calls).hasValue(2);
    }

    // ---- network programming latency: trigger times ----

    private static final Instant START = Instant.parse("2024-05-01T12:00:00Z");

    private static EndpointSliceInfo triggered(String name, String ip, Instant at) {
        EndpointSliceInfo s = slice(name, "echo", ip);
        return new EndpointSliceInfo(s.ref(), s.serviceName(), s.addressType(), s.ports(), s.endpoints(), at);
    }

    private static ChangeTracker startedAt(Instant start) {
        return new ChangeTracker(Clock.fixed(start, ZoneOffset.UTC));
    }

    @Test
    void checkout_changedSlicesWithTriggerTimes_handsThemOverOnce() {
        ChangeTracker t = startedAt(START);
        t.onSliceUpserted(triggered("echo-1", "127.0.0.1", START.plusSeconds(2)));
        t.onSliceUpserted(triggered("echo-2", "127.0.0.2", START.plusSeconds(1)));

        assertThat(t.checkout().changeTriggerTimes()).containsExactly(START.plusSeconds(1), START.plusSeconds(2));
        assertThat(t.checkout().changeTriggerTimes()).isEmpty();
    }

    @Test
    void upsert_triggerTimeBeforeTrackerStart_notTimed() {
        ChangeTracker t = startedAt(START);
        t.onSliceUpserted(triggered("echo-1", "127.0.0.1", START.minusSeconds(60)));

        ClusterState state = t.checkout();

        assertThat(state.changedEndpointSlices()).isEqualTo(1);
        assertThat(state.changeTriggerTimes()).isEmpty();
    }

    @Test
    void upsert_equalToKnown_notTimedAgain() {
        ChangeTracker t = startedAt(START);
        EndpointSliceInfo s = triggered("echo-1", "127.0.0.1", START.plusSeconds(1));
        t.onSliceUpserted(s);
        t.checkout();

        t.onSliceUpserted(s);

        assertThat(t.checkout().changeTriggerTimes()).isEmpty();
    }

    @Test
    void deleteSlice_forgetsTheTriggerTimesOfItsService() {
        ChangeTracker t = startedAt(START);
        t.onSliceUpserted(triggered("echo-1", "127.0.0.1", START.plusSeconds(1)));
        t.onSliceUpserted(triggered("echo-2", "127.0.0.2", START.plusSeconds(2)));
        t.onSliceUpserted(new EndpointSliceInfo(ObjectRef.of("demo", "web-1"), "web", AddressType.IPV4,
                List.of(), List.of(), START.plusSeconds(3)));

        t.onSliceDeleted(ObjectRef.of("demo", "echo-2"));

        assertThat(t.checkout().changeTriggerTimes()).containsExactly(START.plusSeconds(3));
    }

    @Test
    void checkoutChanges_handsOverOnlyTheServicesWhoseObjectOrSlicesChanged() {
        ObjectRef web = ObjectRef.of("demo", "web");
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onServiceUpserted(service(web, 80));
        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.1"));
        tracker.onSliceUpserted(slice("web-1", "web", "127.0.0.2"));
        tracker.checkoutChanges();

        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.3"));
        ClusterChanges changes = tracker.checkoutChanges();

        assertThat(changes.services()).containsOnlyKeys(ECHO);
        assertThat(changes.services().get(ECHO).service()).isEqualTo(service(ECHO, 80));
        assertThat(changes.services().get(ECHO).slices()).containsExactly(slice("echo-1", "echo", "127.0.0.3"));
        assertThat(changes.changedServices()).isZero();
        assertThat(changes.changedEndpointSlices()).isEqualTo(1);
        assertThat(tracker.checkoutChanges().services()).as("handed over once").isEmpty();
    }

    @Test
    void checkoutChanges_deletedServiceAndSlice_areHandedOverAsGone() {
        tracker.onServiceUpserted(service(ECHO, 80));
        tracker.onSliceUpserted(slice("echo-1", "echo", "127.0.0.1"));
        tracker.checkoutChanges();

        tracker.onServiceDeleted(ECHO);
        tracker.onSliceDeleted(ObjectRef.of("demo", "echo-1"));
        ClusterChanges changes = tracker.checkoutChanges();

        assertThat(changes.services().get(ECHO).service()).isNull();
        assertThat(changes.services().get(ECHO).slices()).isEmpty();
    }

    @Test
    void equalObjectDeliveredAgain_keepsTheKnownInstanceAndChangesNothing() {
        ServiceInfo first = service(ECHO, 80);
        tracker.onServiceUpserted(first);
        tracker.checkoutChanges();

        tracker.onServiceUpserted(service(ECHO, 80)); // an informer resync: equal, another instance

        assertThat(tracker.hasPending()).isFalse();
        assertThat(tracker.checkout().services().get(ECHO)).isSameAs(first);
    }

    @Test
    void checkoutChanges_slicesOfAService_comeInSliceNameOrder() {
        tracker.onSliceUpserted(slice("echo-b", "echo", "127.0.0.2"));
        tracker.onSliceUpserted(slice("echo-a", "echo", "127.0.0.1"));

        assertThat(tracker.checkoutChanges().services().get(ECHO).slices()).extracting(EndpointSliceInfo::ref)
                .containsExactly(ObjectRef.of("demo", "echo-a"), ObjectRef.of("demo", "echo-b"));
    }
}
