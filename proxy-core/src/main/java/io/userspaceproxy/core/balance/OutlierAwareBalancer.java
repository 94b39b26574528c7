package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.OutlierDetection;
import java.net.InetAddress;
import java.util.List;

/**
 * Any balancer, minus the endpoints that are ejected now, or that the active health check holds unhealthy (see
 * {@link EndpointOutliers}). A pick that lands on an
 * ejected endpoint moves on the way a retry would ({@link LoadBalancer#pickAfterFailure}: the next in turn, or for
 * ClientIP affinity a fresh choice that is remembered), at most once per endpoint; when every endpoint it tries is
 * out, the first pick stands, as ejection must never leave a service port with nothing. While nothing is ejected
 * a pick costs one volatile read more than the wrapped balancer's (see {@link EndpointOutliers#isEjected});
 * nothing allocates.
 */
final class OutlierAwareBalancer implements LoadBalancer {

    private final LoadBalancer delegate;
    private final EndpointOutliers outliers;
    private final OutlierDetection detection;
    private final ServicePortCounters counters;

    OutlierAwareBalancer(LoadBalancer delegate, EndpointOutliers outliers, OutlierDetection detection,
            ServicePortCounters counters) {
        this.delegate = delegate;
        this.outliers = outliers;
        this.detection = detection;
        this.counters = counters;
    }

    @Override
    public Endpoint pick(InetAddress client) {
        return avoidEjected(client, delegate.pick(client));
    }

    @Override
    public Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first) {
        return avoidEjected(client, delegate.pickAfterFailure(client, failed, first));
    }

    private Endpoint avoidEjected(InetAddress client, Endpoint picked) {
        if (picked == null || !outliers.isEjected(picked)) {
            return picked;
        }
        Endpoint candidate = picked;
        for (int tries = delegate.endpoints().size() - 1; tries > 0; tries--) {
            candidate = delegate.pickAfterFailure(client, candidate, picked);
            if (candidate == null) {
                break;
            }
            if (!outliers.isEjected(candidate)) {
                return candidate;
            }
        }
        return picked;
    }

    @Override
    public void onConnectFailed(Endpoint endpoint) {
        if (!detection.enabled()) {
            return; // here for the health check's verdicts only
        }
        outliers.onFailure(endpoint, delegate.endpoints().size(), detection, counters);
    }

    @Override
    public EndpointLoad onConnected(Endpoint endpoint) {
        outliers.onSuccess(endpoint);
        return delegate.onConnected(endpoint);
    }

    @Override
    public List<Endpoint> endpoints() {
        return delegate.endpoints();
    }

    @Override
    public LoadBalancer withEndpoints(List<Endpoint> newEndpoints) {
        return new OutlierAwareBalancer(delegate.withEndpoints(newEndpoints), outliers, detection, counters);
    }

    @Override
    public String toString() {
        return "OutlierAware(" + delegate + ")";
    }
}
