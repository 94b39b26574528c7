package io.userspaceproxy.agent.sync;

import java.net.InetAddress;
import java.util.Set;

/**
 * The step of a sync that makes Service addresses local before the listeners bind them: a listener on a ClusterIP
 * can only bind once the address is on one of the node's interfaces. The agent implements it with its VIP manager;
 * {@link #NONE} is for setups where something else makes them local (loopback VIPs, routes of the operator's own).
 *
 * <p>Called on the sync thread only, with the complete set each time (not a delta), and only when that set changed
 * (or the last call failed, or the sync is a full one): the set is kept by the snapshot builder as listeners come and
 * go, so an endpoint-only change never calls it.
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
}
