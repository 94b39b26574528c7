package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.OutlierDetection;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Any balancer, minus the endpoints that are ejected now, or that the active health check holds unhealthy (see
 * {@link EndpointOutliers}). A pick that lands on an
 * ejected endpoint moves on the way a retry would ({@link LoadBalancer#pickAfterFailure}: the next in turn, or for
 * ClientIP affinity a fresh choice that is remembered), at most once per endpoint; when every endpoint it tries is
 * out, the first pick stands, as ejection must never leave a service port with nothing. While nothing is ejected
 * a pick costs one volatile read more than the wrapped balancer's (see {@link EndpointOutliers#out}); while
 * something is, a scan of the few that are, by identity: the wrapped balancers hand out their route's own instances
 * (ClientIP affinity included, see {@link AffinityTable#lookup}), and {@link #outOfPicks} holds this route's instances
 * of the endpoints out, found by {@code equals} once per change of that set. Nothing allocates but that once.
 */
final class OutlierAwareBalancer implements LoadBalancer {

    private final LoadBalancer delegate;
    private final EndpointOutliers outliers;
    private final OutlierDetection detection;
    private final ServicePortCounters counters;
    /** The endpoints out when last looked, and this route's instances of them; replaced whole (racy but immutable). */
    private OutOfPicks outOfPicks = new OutOfPicks(EndpointOutliers.NONE_OUT, EndpointOutliers.NONE_OUT);

    private record OutOfPicks(Endpoint[] out, Endpoint[] ours) {
    }

    OutlierAwareBalancer(LoadBalancer delegate, EndpointOutliers outliers, OutlierDetection detection,
            ServicePortCounters counters) {
        this.delegate = delegate;
        this.outliers = outliers;
        this.detection = detection;
        this.counters = counters;
    }

    @Override
    public @Nullable Endpoint pick(InetAddress client) {
        return avoidEjected(client, delegate.pick(client));
    }

    @Override
    public @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first) {
        return avoidEjected(client, delegate.pickAfterFailure(client, failed, first));
    }

    private @Nullable Endpoint avoidEjected(InetAddress client, @Nullable Endpoint picked) {
        Endpoint[] out = outliers.out();
        if (out.length == 0 || picked == null || !isOut(picked, out)) {
            return picked;
        }
        Endpoint candidate = picked;
        for (int tries = delegate.endpoints().size() - 1; tries > 0; tries--) {
            candidate = delegate.pickAfterFailure(client, candidate, picked);
            if (candidate == null) {
                break;
            }
            if (!isOut(candidate, out)) {
                return candidate;
            }
        }
        return picked;
    }

    /** Whether {@code endpoint}, one of this route's instances, is among {@code out}. */
    private boolean isOut(Endpoint endpoint, Endpoint[] out) {
        OutOfPicks seen = outOfPicks;
        if (seen.out != out) {
            seen = outOfPicks = new OutOfPicks(out, ours(out));
        }
        for (Endpoint e : seen.ours) {
            if (e == endpoint) {
                return true;
            }
        }
        return false;
    }

    /** This route's instances of the endpoints in {@code out}. */
    private Endpoint[] ours(Endpoint[] out) {
        List<Endpoint> all = delegate.endpoints();
        return all.stream().filter(e -> Arrays.asList(out).contains(e)).toArray(Endpoint[]::new);
    }

    @Override
    public void onConnectFailed(Endpoint endpoint) {
        if (!detection.enabled()) {
            return; // here for the health check's verdicts only
        }
        outliers.onFailure(endpoint, delegate.endpoints().size(), detection, counters);
    }

    @Override
    public @Nullable EndpointLoad onConnected(Endpoint endpoint) {
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
