package io.userspaceproxy.agent.sync;

import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Every listener claim of every Service, and the route each listener serves, kept from one sync to the next so that
 * a sync touches only the Services it was handed. Two service ports can want one listener (Services sharing a
 * NodePort, one Service's external IP being another's ClusterIP): the route that already held the listener keeps it,
 * so a newcomer never steals a port from live traffic; otherwise the first claim wins, in Service-name order, then
 * in the order the Service made its claims. Each contested listener is one problem, named until it is settled.
 *
 * <p>{@link #put} replaces one Service's claims and marks the listeners they touch; {@link #resolve()} settles those
 * listeners alone and returns exactly the ones whose route changed or went away. Counts and the set of Service
 * addresses are kept up to date on the way, never recounted. Not thread-safe: the sync thread owns it.
 */
final class RouteBook {

    /** One claim on a listener: who made it, its place among that Service's claims, and the route it wants. */
    private record Owned(ObjectRef service, int seq, Route route) {
    }

    /** What one Service contributes: whether it is headless, its port count, and its claims in order. */
    private record Entry(boolean headless, int ports, List<SnapshotBuilder.Claim> claims) {
    }

    private final Map<ObjectRef, Entry> services = new HashMap<>();
    private final Map<ListenerKey, List<Owned>> claims = new HashMap<>();
    /** Concurrent only so that {@link #routes()} may be read off the sync thread (the demo, diagnostics). */
    private final Map<ListenerKey, Route> resolved = new ConcurrentHashMap<>();
    private final Map<ListenerKey, String> problems = new LinkedHashMap<>();
    /** How many claims each contested listener ignores now, so that the conflict count moves by the difference. */
    private final Map<ListenerKey, Integer> contested = new HashMap<>();
    private final Map<InetAddress, Integer> serviceAddresses = new HashMap<>();
    /**
     * The listeners to settle at the next {@link #resolve()}; replaced rather than cleared, since a cleared HashSet
     * keeps the capacity of its largest moment and every later walk of it pays for that (a full sync marks every
     * listener).
     */
    private Set<ListenerKey> dirty = new HashSet<>();
    private int served;
    private int skipped;
    private int servicePorts;
    private int withoutEndpoints;
    private int conflicts;
    private boolean addressesChanged;

    /**
     * A book whose listeners start out held by {@code held} (the routes served now), with no claims yet: the first
     * {@link #resolve()} keeps each with its holder if the holder still claims it, and removes it otherwise.
     */
    RouteBook(Map<ListenerKey, Route> held) {
        held.forEach(this::setResolved);
        dirty.addAll(held.keySet());
        addressesChanged = false;
    }

    /**
     * Replaces the claims of {@code service}; the listeners they touch, before and after, are settled by the next
     * {@link #resolve()}.
     *
     * @param headless true for a Service that gets no listener (headless, ExternalName): counted, claims nothing
     * @param ports    its port count (for the counts)
     * @param made     its claims in order (empty when headless); {@code null} when the Service is gone
     */
    void put(ObjectRef service, boolean headless, int ports, @Nullable List<SnapshotBuilder.Claim> made) {
        Entry old = made == null ? services.remove(service) : services.put(service, new Entry(headless, ports, made));
        if (old != null) {
            count(old, -1);
            for (SnapshotBuilder.Claim c : old.claims()) {
                // Each claim of a Service in services is among its listener's owners until removed here.
                List<Owned> owners = Objects.requireNonNull(claims.get(c.key()), "a claim without owners");
                owners.removeIf(o -> o.service().equals(service));
                dirty.add(c.key());
            }
        }
        if (made == null) {
            return;
        }
        count(Objects.requireNonNull(services.get(service), "put above"), 1);
        for (int i = 0; i < made.size(); i++) {
            SnapshotBuilder.Claim c = made.get(i);
            List<Owned> owners = claims.computeIfAbsent(c.key(), k -> new ArrayList<>(1));
            Owned owned = new Owned(service, i, c.route());
            int at = 0;
            while (at < owners.size() && compare(owners.get(at), owned) < 0) {
                at++;
            }
            owners.add(at, owned);
            dirty.add(c.key());
        }
    }

    /** Drops {@code service}'s claims. */
    void remove(ObjectRef service) {
        put(service, false, 0, null);
    }

    /** The Services with claims (or counted as headless) now. */
    Set<ObjectRef> services() {
        return Collections.unmodifiableSet(services.keySet());
    }

    /** Settles every listener a {@link #put} touched since the last call; returns what that changed. */
    RouteChanges resolve() {
        Map<ListenerKey, Route> upserted = new HashMap<>();
        Set<ListenerKey> removed = new HashSet<>();
        for (ListenerKey key : dirty) {
            List<Owned> owners = claims.getOrDefault(key, List.of());
            Route held = resolved.get(key);
            if (owners.isEmpty()) {
                claims.remove(key);
                settleProblem(key, null, owners, false);
                if (held != null) {
                    setResolved(key, null);
                    removed.add(key);
                }
                continue;
            }
            Owned winner = owners.get(0);
            boolean incumbent = false;
            if (held != null && owners.size() > 1) {
                for (Owned o : owners) {
                    if (o.route().servicePort().equals(held.servicePort())) {
                        winner = o;
                        incumbent = true;
                        break;
                    }
                }
            }
            settleProblem(key, winner, owners, incumbent);
            if (held != winner.route()) {
                setResolved(key, winner.route());
                upserted.put(key, winner.route());
            }
        }
        dirty = new HashSet<>();
        return new RouteChanges(upserted, removed);
    }

    /** The route every listener serves now; a live read-only view, safe to read from any thread. */
    Map<ListenerKey, Route> routes() {
        return Collections.unmodifiableMap(resolved);
    }

    /** One line per contested listener, naming who is served and who is ignored. */
    List<String> problems() {
        return List.copyOf(problems.values());
    }

    BuildResult.Counts counts() {
        return new BuildResult.Counts(served, skipped, servicePorts, resolved.size(), withoutEndpoints, conflicts);
    }

    /**
     * The Service addresses (ClusterIPs, external and load-balancer IPs, not loopback ones: those are local already)
     * of every listener now, sorted by their bytes so that logs and {@code ip} batches are stable.
     */
    Set<InetAddress> serviceAddresses() {
        Set<InetAddress> out = new TreeSet<>((a, b) -> Arrays.compareUnsigned(a.getAddress(), b.getAddress()));
        out.addAll(serviceAddresses.keySet());
        return out;
    }

    /** Whether {@link #serviceAddresses()} changed since the last call of this method. */
    boolean takeAddressesChanged() {
        boolean changed = addressesChanged;
        addressesChanged = false;
        return changed;
    }

    private void count(Entry e, int sign) {
        if (e.headless()) {
            skipped += sign;
        } else {
            served += sign;
            servicePorts += sign * e.ports();
        }
    }

    private void setResolved(ListenerKey key, @Nullable Route route) {
        Route old = route == null ? resolved.remove(key) : resolved.put(key, route);
        if (old != null) {
            withoutEndpoints -= old.endpoints().isEmpty() ? 1 : 0;
        }
        if (route != null) {
            withoutEndpoints += route.endpoints().isEmpty() ? 1 : 0;
        }
        int before = old != null && isServiceAddress(key, old) ? 1 : 0;
        int after = route != null && isServiceAddress(key, route) ? 1 : 0;
        if (after != before) {
            address(key.address().getAddress(), after - before);
        }
    }

    private static boolean isServiceAddress(ListenerKey key, Route route) {
        return route.frontend() != FrontendKind.NODE_PORT && !key.address().getAddress().isLoopbackAddress();
    }

    private void address(InetAddress address, int sign) {
        int n = serviceAddresses.getOrDefault(address, 0) + sign;
        if (n == 0) {
            serviceAddresses.remove(address);
            addressesChanged = true;
        } else {
            addressesChanged |= n == 1 && sign > 0;
            serviceAddresses.put(address, n);
        }
    }

    private void settleProblem(ListenerKey key, @Nullable Owned winner, List<Owned> owners, boolean incumbent) {
        if (problems.remove(key) != null) {
            conflicts -= contested.getOrDefault(key, 0);
        }
        contested.remove(key);
        if (winner == null || owners.size() < 2) {
            return;
        }
        contested.put(key, owners.size() - 1);
        conflicts += owners.size() - 1;
        StringBuilder losers = new StringBuilder();
        for (Owned o : owners) {
            if (o != winner) {
                losers.append(losers.length() == 0 ? "" : ", ")
                        .append(o.route().servicePort()).append(" (").append(o.route().frontend()).append(')');
            }
        }
        Route w = winner.route();
        problems.put(key, "listener " + key + " is wanted by more than one service port: serving " + w.servicePort()
                + " (" + w.frontend() + (incumbent ? ", which already held it" : ", first by name") + "), ignoring "
                + losers);
    }

    private static int compare(Owned a, Owned b) {
        int c = a.service().compareTo(b.service());
        return c != 0 ? c : Integer.compare(a.seq(), b.seq());
    }
}
