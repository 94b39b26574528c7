package io.userspaceproxy.core.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * The data plane's counters for one service port, bound once when its route is built and then updated from any
 * event loop without locks or lookups. {@link LongAdder} stripes contended updates across cells, so event loops do
 * not fight over one cache line; readers sum on scrape.
 */
public final class ServicePortCounters {

    private final LongAdder connectionsOpened = new LongAdder();
    private final LongAdder connectionsActive = new LongAdder();
    private final LongAdder bytesToBackend = new LongAdder();
    private final LongAdder bytesToFrontend = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder connectRetries = new LongAdder();
    private final LongAdder splicedConnections = new LongAdder();
    private final LongAdder udpFlowsOpened = new LongAdder();
    private final LongAdder udpFlowsActive = new LongAdder();
    private final LongAdder udpFlowsRejected = new LongAdder();
    private final LongAdder udpDatagramsToBackend = new LongAdder();
    private final LongAdder udpDatagramsToFrontend = new LongAdder();
    private final LongAdder udpDatagramsDropped = new LongAdder();
    private final LongAdder affinityHits = new LongAdder();
    private final LongAdder outlierEjections = new LongAdder();
    private final LongAdder healthCheckFailures = new LongAdder();
    private final LongAdder markedUnhealthy = new LongAdder();
    private final LongAdder held = new LongAdder();
    private final LongAdder holdDemand = new LongAdder();
    private final LongAdder[] closes = new LongAdder[CloseReason.values().length];
    /** Frontend reads paused, resumed; backend reads paused, resumed (see {@link #onFlowControl}). */
    private final LongAdder[] flowControl = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};

    public ServicePortCounters() {
        for (int i = 0; i < closes.length; i++) {
            closes[i] = new LongAdder();
        }
    }

    public void onConnectionOpened() {
        connectionsOpened.increment();
        connectionsActive.increment();
    }

    /** Records the end of a connection counted by {@link #onConnectionOpened()}. */
    public void onConnectionClosed(CloseReason reason) {
        connectionsActive.decrement();
        closes[reason.ordinal()].increment();
    }

    /**
     * Records the end of a connection that was never relayed (refused, held until its hold ran out, or no endpoint
     * connected), once, under its reason; {@link CloseReason#isRejection()} says which family exports it.
     */
    public void onRejected(CloseReason reason) {
        closes[reason.ordinal()].increment();
    }

    /** Reading one side of a connection was paused (or resumed) because the other side's queue crossed a water mark. */
    public void onFlowControl(boolean frontendRead, boolean paused) {
        flowControl[(frontendRead ? 0 : 2) + (paused ? 0 : 1)].increment();
    }

    /**
     * How often reading the frontend ({@code frontendRead}) or the backend was paused, or resumed, by backpressure
     * from the other side, as Envoy's {@code *_flow_control_paused_reading_total} counts.
     */
    public long flowControl(boolean frontendRead, boolean paused) {
        return flowControl[(frontendRead ? 0 : 2) + (paused ? 0 : 1)].sum();
    }

    public void onBytesToBackend(long n) {
        bytesToBackend.add(n);
    }

    public void onBytesToFrontend(long n) {
        bytesToFrontend.add(n);
    }

    public void onConnectFailure() {
        connectFailures.increment();
    }

    public void onConnectRetry() {
        connectRetries.increment();
    }

    /** A connection left the copy relay for splice(2): its payload no longer passes through the JVM. */
    public void onSpliced() {
        splicedConnections.increment();
    }

    /** An endpoint was left out of picks after failing its connects (passive outlier detection). */
    public void onOutlierEjection() {
        outlierEjections.increment();
    }

    public long outlierEjections() {
        return outlierEjections.sum();
    }

    /** An active health check's connect failed; {@code marked}: that made its endpoint unhealthy. */
    public void onHealthCheckFailed(boolean marked) {
        healthCheckFailures.increment();
        if (marked) {
            markedUnhealthy.increment();
        }
    }

    public long healthCheckFailures() {
        return healthCheckFailures.sum();
    }

    /** How often an active health check took an endpoint out of picks. */
    public long markedUnhealthy() {
        return markedUnhealthy.sum();
    }

    /** A new connection or UDP flow is held while the service port has no endpoint: the demand to scale up. */
    public void onHeld() {
        held.increment();
        holdDemand.increment();
    }

    /** A held connection or flow was released: to an endpoint, or refused at the end of its hold time. */
    public void onHoldEnded() {
        held.decrement();
    }

    /** Connections and UDP flows held now, waiting for an endpoint. */
    public long held() {
        return held.sum();
    }

    /** Connections and UDP flows ever held for want of an endpoint. */
    public long holdDemand() {
        return holdDemand.sum();
    }

    public void onAffinityHit() {
        affinityHits.increment();
    }

    public void onUdpFlowOpened() {
        udpFlowsOpened.increment();
        udpFlowsActive.increment();
    }

    public void onUdpFlowClosed() {
        udpFlowsActive.decrement();
    }

    public void onUdpFlowRejected() {
        udpFlowsRejected.increment();
    }

    public void onUdpDatagramToBackend(long bytes) {
        udpDatagramsToBackend.increment();
        bytesToBackend.add(bytes);
    }

    public void onUdpDatagramToFrontend(long bytes) {
        udpDatagramsToFrontend.increment();
        bytesToFrontend.add(bytes);
    }

    public void onUdpDatagramDropped() {
        udpDatagramsDropped.increment();
    }

    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    public long connectionsActive() {
        return connectionsActive.sum();
    }

    public long bytesToBackend() {
        return bytesToBackend.sum();
    }

    public long bytesToFrontend() {
        return bytesToFrontend.sum();
    }

    public long connectFailures() {
        return connectFailures.sum();
    }

    public long connectRetries() {
        return connectRetries.sum();
    }

    public long splicedConnections() {
        return splicedConnections.sum();
    }

    public long noEndpointRejections() {
        return closes(CloseReason.NO_ENDPOINTS);
    }

    public long sourceRangeRejections() {
        return closes(CloseReason.SOURCE_RANGE_REJECTED);
    }

    public long udpFlowsOpened() {
        return udpFlowsOpened.sum();
    }

    public long udpFlowsActive() {
        return udpFlowsActive.sum();
    }

    public long udpFlowsRejected() {
        return udpFlowsRejected.sum();
    }

    public long udpDatagramsToBackend() {
        return udpDatagramsToBackend.sum();
    }

    public long udpDatagramsToFrontend() {
        return udpDatagramsToFrontend.sum();
    }

    public long udpDatagramsDropped() {
        return udpDatagramsDropped.sum();
    }

    public long affinityHits() {
        return affinityHits.sum();
    }

    public long closes(CloseReason reason) {
        return closes[reason.ordinal()].sum();
    }
}
