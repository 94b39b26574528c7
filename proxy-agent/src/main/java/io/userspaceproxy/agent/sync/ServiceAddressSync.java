package io.userspaceproxy.agent.sync;

import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.ProxySnapshot;
import io.userspaceproxy.core.model.Route;
import java.net.InetAddress;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The step of a sync that makes Service addresses local before the listeners bind them: a listener on a ClusterIP
 * can only bind once the address is on one of the node's interfaces. The agent implements it with its VIP manager;
 * {@link #NONE} is for setups where something else makes them local (loopback VIPs, routes of the operator's own).
 *
 * <p>Called on the sync thread only, with the complete set each time (not a delta).
 */
@FunctionalInterface
public interface ServiceAddressSync {

    /** Changes nothing. */
    ServiceAddressSync NONE = addresses -> { };

    /**
     * Makes exactly {@code addresses} the Service addresses of this node: adds the missing ones, removes the ones
     * added earlier that are no longer wanted.
     *
     * @throws RuntimeException when that failed; the sync logs and counts it, still applies the table (listeners
     *                          on addresses that exist keep working) and retries soon
     */
    void sync(Set<InetAddress> addresses);

    /**
     * The addresses of {@code snapshot} that are Service addresses rather than node addresses: those of ClusterIP,
     * external IP and load-balancer listeners, without loopback addresses (already local). Sorted by their bytes,
     * so that logs and {@code ip} batches are stable.
     */
    static Set<InetAddress> of(ProxySnapshot snapshot) {
        Set<InetAddress> out = new TreeSet<>((a, b) -> java.util.Arrays.compareUnsigned(a.getAddress(), b.getAddress()));
        for (Map.Entry<ListenerKey, Route> e : snapshot.routes().entrySet()) {
            InetAddress address = e.getKey().address().getAddress();
            if (e.getValue().frontend() != FrontendKind.NODE_PORT && !address.isLoopbackAddress()) {
                out.add(address);
            }
        }
        return out;
    }
}
