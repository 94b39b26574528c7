package io.userspaceproxy.agent.watch.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.userspaceproxy.agent.testing.MutableClock;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The NeedPods signal against fabric8's mock API server in CRUD mode: what is created, when, and what repeats. */
@EnableKubernetesMockClient(crud = true)
class NeedPodsEventsTest {

    private static final ServicePortName WEB_HTTP = new ServicePortName("shop", "web", "http", Protocol.TCP);
    private static final ServicePortName WEB_GRPC = new ServicePortName("shop", "web", "grpc", Protocol.TCP);

    KubernetesClient client;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T10:00:00Z"));
    private final AtomicInteger failures = new AtomicInteger();
    private NeedPodsEvents events;

    @AfterEach
    void tearDown() {
        if (events != null) {
            events.close();
        }
    }

    private NeedPodsEvents events() {
        events = NeedPodsEvents.toApi(client, "node-a", failures::incrementAndGet, clock);
        return events;
    }

    private List<Event> inShop() {
        return client.events().v1().events().inNamespace("shop").list().getItems();
    }

    @Test
    void firstHeldConnection_createsANeedPodsEventOnTheService() {
        events().accept(WEB_HTTP);

        await().until(() -> inShop().size() == 1);
        Event e = inShop().get(0);
        assertThat(e.getReason()).isEqualTo("NeedPods");
        assertThat(e.getType()).isEqualTo("Normal");
        assertThat(e.getRegarding().getKind()).isEqualTo("Service");
        assertThat(e.getRegarding().getApiVersion()).isEqualTo("v1");
        assertThat(e.getRegarding().getNamespace()).isEqualTo("shop");
        assertThat(e.getRegarding().getName()).isEqualTo("web");
        assertThat(e.getReportingController()).isEqualTo("userspace-proxy.io/agent");
        assertThat(e.getReportingInstance()).isEqualTo("userspace-proxy-node-a");
        assertThat(e.getEventTime().getTime()).isEqualTo("2026-12-05T10:00:00.000000Z");
        assertThat(failures).hasValue(0);
    }

    @Test
    void moreHeldWithin10s_noMoreEvents_then_theSeriesCountGoesOn() {
        NeedPodsEvents signal = events();
        signal.accept(WEB_HTTP);
        await().until(() -> inShop().size() == 1);

        clock.advance(Duration.ofSeconds(9));
        signal.accept(WEB_HTTP);
        signal.accept(WEB_GRPC); // another port of the same Service: the same signal
        clock.advance(Duration.ofSeconds(1));
        signal.accept(WEB_HTTP);

        await().until(() -> inShop().get(0).getSeries() != null);
        assertThat(inShop()).hasSize(1);
        assertThat(inShop().get(0).getSeries().getCount()).isEqualTo(2);
        assertThat(inShop().get(0).getSeries().getLastObservedTime().getTime())
                .isEqualTo("2026-12-05T10:00:10.000000Z");
    }

    @Test
    void whileAnyIsHeld_theSignalRepeatsEveryInterval_thenStops() {
        AtomicBoolean held = new AtomicBoolean(true);
        events = new NeedPodsEvents(new NeedPodsEvents.ApiSink(client, "node-a", failures::incrementAndGet),
                Clock.systemUTC(), Duration.ofMillis(200)).whileHeld(service -> held.get());

        events.accept(WEB_HTTP);

        await().atMost(Duration.ofSeconds(10)).until(() -> seriesCount() >= 3);
        held.set(false);
        int stopped = await().atMost(Duration.ofSeconds(2)).until(this::seriesCount, c -> c >= 3);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3))
                .until(() -> seriesCount() <= stopped + 1); // at most the repeat already under way
        assertThat(inShop()).hasSize(1);
    }

    private int seriesCount() {
        List<Event> all = inShop();
        return all.isEmpty() ? 0 : all.get(0).getSeries() == null ? 1 : all.get(0).getSeries().getCount();
    }

    @Test
    void eventDeletedMeanwhile_aNewOneIsCreated() {
        NeedPodsEvents signal = events();
        signal.accept(WEB_HTTP);
        await().until(() -> inShop().size() == 1);
        client.events().v1().events().inNamespace("shop").withName(inShop().get(0).getMetadata().getName()).delete();
        await().until(() -> inShop().isEmpty());

        clock.advance(Duration.ofSeconds(10));
        signal.accept(WEB_HTTP);

        await().until(() -> inShop().size() == 1);
        assertThat(inShop().get(0).getSeries()).isNull();
    }

    @Test
    void withoutAnApiServer_loggedAtInfo_atMostEvery10sPerService() {
        Logger logger = (Logger) LoggerFactory.getLogger(NeedPodsEvents.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            events = NeedPodsEvents.toLog(clock);
            events.accept(WEB_HTTP);
            events.accept(WEB_HTTP);
            clock.advance(Duration.ofSeconds(10));
            events.accept(WEB_HTTP);
            events.close();

            assertThat(logs.list).hasSize(2).allSatisfy(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.INFO);
                assertThat(e.getFormattedMessage()).startsWith("Service shop/web needs pods (NeedPods)");
            });
        } finally {
            logger.detachAppender(logs);
        }
    }
}
