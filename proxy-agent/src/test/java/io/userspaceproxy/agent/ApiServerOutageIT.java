package io.userspaceproxy.agent;

import static io.userspaceproxy.agent.testing.ClusterObjects.NODE;
import static io.userspaceproxy.agent.testing.ClusterObjects.ready;
import static io.userspaceproxy.agent.testing.ClusterObjects.service;
import static io.userspaceproxy.agent.testing.ClusterObjects.sliceOf;
import static io.userspaceproxy.agent.testing.Traffic.REFUSED;
import static io.userspaceproxy.agent.testing.Traffic.accepts;
import static io.userspaceproxy.agent.testing.Traffic.awaitAnswer;
import static io.userspaceproxy.agent.testing.Traffic.whoAnswers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.userspaceproxy.agent.testing.ClusterAgent;
import io.userspaceproxy.agent.testing.RestartableApiServer;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.testing.TcpEchoServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent when its API server is slow or gone: nothing is programmed from half-synced caches, traffic keeps
 * flowing on the last table while the server is away, and what changed meanwhile (deletes included) is applied
 * once it is back. See {@link RestartableApiServer} for how the restart is made faithful.
 */
@Timeout(120)
class ApiServerOutageIT {

    private static final String NS = "shop";

    @AutoClose
    private final TcpEchoServer a = new TcpEchoServer("a");
    @AutoClose
    private final TcpEchoServer b = new TcpEchoServer("b");
    @AutoClose
    private RestartableApiServer api;
    @AutoClose
    private ProxyAgent agent;

    @BeforeEach
    void setUp() {
        api = RestartableApiServer.start();
    }

    @Test
    @DisplayName("Services listed but EndpointSlices not yet: no listener is bound until every cache has synced")
    void start_sliceListSlow_nothingProgrammedUntilSynced() throws Exception {
        InetSocketAddress vip = address("127.0.33.1", 8080);
        create(api.client(), service(NS, "web", "127.0.33.1", 8080).build());
        create(api.client(), sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        api.delayFirstSliceList(Duration.ofSeconds(3));

        CompletableFuture<ProxyAgent> starting = CompletableFuture.supplyAsync(() -> {
            try {
                return ClusterAgent.start(api.url());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofMillis(2500)).until(() -> !accepts(vip));

        agent = starting.get(30, TimeUnit.SECONDS);
        assertThat(whoAnswers(vip)).isEqualTo("a");
    }

    @Test
    @DisplayName("API server restarted: traffic flows on the last table meanwhile, then changes made while it was"
            + " away (update, create, delete) are applied")
    void apiServerRestart_changesWhileAway_appliedAfterReconnect() throws Exception {
        InetSocketAddress kept = address("127.0.33.2", 8080);
        InetSocketAddress deleted = address("127.0.33.3", 8080);
        InetSocketAddress added = address("127.0.33.4", 8080);
        KubernetesClient kubectl = api.client();
        create(kubectl, service(NS, "kept", "127.0.33.2", 8080).build());
        create(kubectl, sliceOf(NS, "kept-1", "kept", a.address().getPort(), ready("127.0.0.1", NODE)));
        create(kubectl, service(NS, "deleted", "127.0.33.3", 8080).build());
        create(kubectl, sliceOf(NS, "deleted-1", "deleted", b.address().getPort(), ready("127.0.0.1", NODE)));
        agent = ClusterAgent.start(api.url());
        awaitAnswer(kept, "a");
        awaitAnswer(deleted, "b");

        api.stop();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> "a".equals(whoAnswers(kept)) && "b".equals(whoAnswers(deleted)));
        api.changeWhileDown(k -> {
            create(k, sliceOf(NS, "kept-1", "kept", b.address().getPort(), ready("127.0.0.1", NODE)));
            k.services().inNamespace(NS).withName("deleted").delete();
            k.discovery().v1().endpointSlices().inNamespace(NS).withName("deleted-1").delete();
            create(k, service(NS, "added", "127.0.33.4", 8080).build());
            create(k, sliceOf(NS, "added-1", "added", a.address().getPort(), ready("127.0.0.1", NODE)));
        });
        assertThat(whoAnswers(kept)).as("nothing changes while the agent cannot see the API").isEqualTo("a");

        api.restart();
        awaitAnswer(kept, "b");
        awaitAnswer(added, "a");
        awaitAnswer(deleted, REFUSED);
        assertThat(accepts(deleted)).as("the deleted Service's listener is closed, not just emptied").isFalse();
    }

    /**
     * Issue 11: the agent compared resource versions and skipped the restored slice as a resync. fabric8's store
     * sends no update for an equal version at the relist; the resync (1 s here) hands the new object over.
     */
    @Test
    @DisplayName("API server restored from a backup: a changed EndpointSlice that comes back under the resource"
            + " version the agent last saw is applied, because updates are decided on content")
    void apiServerRestoredFromBackup_changedSliceWithSameResourceVersion_applied() throws Exception {
        InetSocketAddress vip = address("127.0.33.5", 8080);
        KubernetesClient kubectl = api.client();
        create(kubectl, service(NS, "web", "127.0.33.5", 8080).build());
        create(kubectl, sliceOf(NS, "web-1", "web", a.address().getPort(), ready("127.0.0.1", NODE)));
        String seen = kubectl.discovery().v1().endpointSlices().inNamespace(NS).withName("web-1").get()
                .getMetadata().getResourceVersion();
        agent = ClusterAgent.start(api.url(), "--config-sync-period", "1s");
        awaitAnswer(vip, "a");

        api.restoreFromBackup(k -> {
            create(k, service(NS, "web", "127.0.33.5", 8080).build());
            create(k, sliceOf(NS, "web-1", "web", b.address().getPort(), ready("127.0.0.1", NODE)));
        }, 100);
        assertThat(api.client().discovery().v1().endpointSlices().inNamespace(NS).withName("web-1").get()
                .getMetadata().getResourceVersion()).as("the restore repeats the version").isEqualTo(seen);

        awaitAnswer(vip, "b");
    }

    private static void create(KubernetesClient k, Service s) {
        k.services().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private static void create(KubernetesClient k, EndpointSlice s) {
        k.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(r -> r.update());
    }

    private static InetSocketAddress address(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parse(ip), port);
    }
}
