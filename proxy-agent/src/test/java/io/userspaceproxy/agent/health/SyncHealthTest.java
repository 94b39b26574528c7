package io.userspaceproxy.agent.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncHealthTest {

    private static final Instant T0 = Instant.parse("2025-03-04T05:06:07Z");
    private static final Duration SYNC_PERIOD = Duration.ofSeconds(30);

    private final MutableClock clock = new MutableClock(T0);
    private final SyncHealth health = SyncHealth.create(SYNC_PERIOD, clock);

    @Test
    void probe_nothingQueuedAtStartup_healthyWithCurrentTime() {
        clock.advance(Duration.ofHours(1));

        ProbeResult result = health.probe(Probe.HEALTHZ);

        assertThat(result.statusCode()).isEqualTo(200);
        assertThat(result.json()).isEqualTo("{\"lastUpdated\": \"2025-03-04T06:06:07Z\", "
                + "\"currentTime\": \"2025-03-04T06:06:07Z\", \"nodeEligible\": true}");
        assertThat(health.lastUpdated()).isEmpty();
    }

    @Test
    void healthy_changePendingJustUnderTwoSyncPeriods_true() {
        health.onQueued();
        clock.advance(Duration.ofSeconds(60).minusNanos(1));

        assertThat(health.healthy()).isTrue();
        assertThat(health.probe(Probe.LIVEZ).statusCode()).isEqualTo(200);
    }

    @Test
    void probe_changePendingTwoSyncPeriodsWithoutSync_unhealthy503() {
        health.onQueued();
        clock.advance(Duration.ofSeconds(60));

        assertThat(health.healthy()).isFalse();
        ProbeResult healthz = health.probe(Probe.HEALTHZ);
        assertThat(healthz.statusCode()).isEqualTo(503);
        assertThat(healthz.json()).isEqualTo("{\"lastUpdated\": \"0001-01-01T00:00:00Z\", "
                + "\"currentTime\": \"2025-03-04T05:07:07Z\", \"nodeEligible\": true}");
        assertThat(health.probe(Probe.LIVEZ).statusCode()).isEqualTo(503);
    }

    @Test
    void probe_staleChangeThenSynced_healthyAgainAndLastUpdatedIsSyncTime() {
        health.onQueued();
        clock.advance(Duration.ofMinutes(5));
        assertThat(health.probe(Probe.HEALTHZ).statusCode()).isEqualTo(503);

        health.onSynced();

        assertThat(health.probe(Probe.HEALTHZ).statusCode()).isEqualTo(200);
        assertThat(health.lastUpdated()).contains(T0.plus(Duration.ofMinutes(5)));
        assertThat(health.oldestPending()).isEmpty();
    }

    @Test
    void probe_unhealthyAfterEarlierSync_reportsLastSuccessfulSync() {
        health.onSynced();
        clock.advance(Duration.ofSeconds(10));
        health.onQueued();
        clock.advance(Duration.ofSeconds(61));

        ProbeResult livez = health.probe(Probe.LIVEZ);

        assertThat(livez.statusCode()).isEqualTo(503);
        assertThat(livez.json()).isEqualTo("{\"lastUpdated\": \"2025-03-04T05:06:07Z\", "
                + "\"currentTime\": \"2025-03-04T05:07:18Z\"}");
    }

    @Test
    void onQueued_laterChanges_doNotMakeThePendingOneYounger() {
        health.onQueued();
        clock.advance(Duration.ofSeconds(40));
        health.onQueued();
        clock.advance(Duration.ofSeconds(20));

        assertThat(health.oldestPending()).contains(T0);
        assertThat(health.healthy()).isFalse();
    }

    @Test
    void onSyncedAt_changeQueuedAfterSyncStartedBehindOlderOne_agesFromItsQueueTime() {
        health.onQueued();
        clock.advance(Duration.ofSeconds(1));
        Instant syncStart = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        health.onQueued();
        Instant lateChange = clock.instant();

        health.onSynced(syncStart);

        assertThat(health.oldestPending()).contains(lateChange);
        clock.advance(Duration.ofSeconds(59));
        assertThat(health.healthy()).isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(health.healthy()).isFalse();
    }

    @Test
    void onSyncedAt_everythingQueuedBeforeStart_clearsPending() {
        health.onQueued();
        clock.advance(Duration.ofSeconds(1));
        health.onQueued();
        Instant syncStart = clock.instant();
        clock.advance(Duration.ofSeconds(1));

        health.onSynced(syncStart);

        assertThat(health.oldestPending()).isEmpty();
        assertThat(health.lastUpdated()).contains(clock.instant());
    }

    @Test
    void onSyncedAt_changeQueuedDuringSync_isKeptAsOldestPending() {
        Instant syncStart = clock.instant();
        clock.advance(Duration.ofMillis(500));
        health.onQueued();
        Instant queued = clock.instant();

        health.onSynced(syncStart);

        assertThat(health.oldestPending()).contains(queued);
        clock.advance(Duration.ofSeconds(60));
        assertThat(health.probe(Probe.LIVEZ).statusCode()).isEqualTo(503);
    }

    @Test
    void probe_nodeNotEligible_healthz503ButLivez200() {
        health.setNodeEligible(false);

        ProbeResult healthz = health.probe(Probe.HEALTHZ);

        assertThat(healthz.statusCode()).isEqualTo(503);
        assertThat(healthz.json()).endsWith("\"nodeEligible\": false}");
        assertThat(health.probe(Probe.LIVEZ).statusCode()).isEqualTo(200);
        assertThat(health.healthy()).isTrue();
    }

    @Test
    void probes_countedPerProbeAndCode() {
        health.probe(Probe.HEALTHZ);
        health.probe(Probe.HEALTHZ);
        health.onQueued();
        clock.advance(Duration.ofMinutes(2));
        health.probe(Probe.HEALTHZ);
        health.probe(Probe.LIVEZ);

        assertThat(health.probes(Probe.HEALTHZ, 200)).isEqualTo(2);
        assertThat(health.probes(Probe.HEALTHZ, 503)).isEqualTo(1);
        assertThat(health.probes(Probe.LIVEZ, 200)).isZero();
        assertThat(health.probes(Probe.LIVEZ, 503)).isEqualTo(1);
        assertThatThrownBy(() -> health.probes(Probe.LIVEZ, 500))
                .hasMessage("statusCode: 500 (expected: 200 or 503)");
    }

    @Test
    void isNodeEligible_deletionOrAutoscalerTaint_false() {
        assertThat(SyncHealth.isNodeEligible(false, List.of("node.kubernetes.io/unschedulable"))).isTrue();
        assertThat(SyncHealth.isNodeEligible(true, List.of())).isFalse();
        assertThat(SyncHealth.isNodeEligible(false, List.of("ToBeDeletedByClusterAutoscaler"))).isFalse();
    }

    @Test
    void create_nonPositiveSyncPeriod_rejected() {
        assertThatThrownBy(() -> SyncHealth.create(Duration.ZERO, clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("syncPeriod: PT0S (expected: > 0)");
        assertThat(health.timeout()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void probe_sourceStopped_unhealthy503NamingIt() {
        health.onSourceStopped("manifest watch stopped: java.lang.OutOfMemoryError");

        assertThat(health.healthy()).isFalse();
        assertThat(health.probe(Probe.LIVEZ).statusCode()).isEqualTo(503);
        assertThat(health.probe(Probe.HEALTHZ).json())
                .endsWith("\"sourceStopped\": \"manifest watch stopped: java.lang.OutOfMemoryError\"}");
    }

    @Test
    void probe_sourceStoppedWithAMultiLineCause_stillOneValidJsonString() {
        health.onSourceStopped("manifest watch stopped: \"a\"\n\tat b");

        assertThat(health.probe(Probe.HEALTHZ).json())
                .endsWith("\"sourceStopped\": \"manifest watch stopped: \\\"a\\\"\\n\\tat b\"}");
    }
}
