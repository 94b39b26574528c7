package io.userspaceproxy.core.balance;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * ClientIP session affinity memory for every service port of the proxy: which endpoint each client IP is held on.
 * One Caffeine cache, keyed by (service port, client IP), with a per-entry deadline of "last seen + the service
 * port's current timeout". The {@link LoadBalancer#clientIpAffinity affinity balancers} of all routes share it, so a
 * balancer rebuilt for a new endpoint set or a new timeout keeps what its predecessor learned.
 *
 * <p><b>Timeouts follow the current route.</b> The timeout is never captured when an entry is created: a lookup
 * judges expiry against the timeout of the route doing the lookup, and {@link #retain} moves the deadline of every
 * live entry when a service port's timeout changes. This fixes the legacy userspace proxier, which kept the default
 * timeout for a service whose endpoints arrived before the service itself.
 *
 * <p><b>Hot path.</b> A hit is one {@link AffinityKey} allocation, one Caffeine read and a clock read; it touches
 * the cache once per new connection or flow, never per packet. A miss records the next round-robin endpoint with an
 * atomic compute, so two connections of a new client accepted at once on two event loops land on one endpoint.
 *
 * <p><b>Sync time.</b> The control plane calls {@link #retain(ServicePortName, Collection)} for each service port a
 * sync changed, with its routes now: it forgets the clients of a service port that no longer has ClientIP affinity
 * (or no longer exists), drops entries whose endpoint is gone, and re-stamps deadlines after a timeout change. An
 * index of clients per service port keeps that in proportion to the change. Thread-safe throughout.
 */
public final class AffinityTable {

    /** About 200 bytes per entry all told, so the default bound costs at most some 50 MiB. */
    public static final long DEFAULT_MAXIMUM_SIZE = 262_144;

    private final Cache<AffinityKey, AffinityRecord> cache;
    /**
     * The clients remembered per service port, so that a sync sweeps only the service ports it changed. Every write
     * of a record indexes its key; the removal listener (after the removal, on Caffeine's executor) unindexes a key
     * that has no record any more. A write racing that listener can leave a live record unindexed: a later sweep then
     * misses it, which costs nothing but memory until it expires, since every lookup checks the record against the
     * route's endpoints and timeout anyway.
     */
    private final Map<ServicePortName, Set<AffinityKey>> byServicePort = new ConcurrentHashMap<>();
    private final Policy.VarExpiration<AffinityKey, AffinityRecord> expiration;
    private final Ticker ticker;

    private AffinityTable(long maximumSize, Ticker ticker, Executor executor) {
        this.ticker = ticker;
        this.cache = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfter(new RecordExpiry())
                .ticker(ticker)
                .executor(executor)
                .removalListener((@Nullable AffinityKey key, @Nullable AffinityRecord record, RemovalCause cause) -> {
                    if (key != null && cause != RemovalCause.REPLACED
                            && cache().policy().getIfPresentQuietly(key) == null) {
                        unindex(key);
                    }
                })
                .build();
        this.expiration = cache.policy().expireVariably().orElseThrow();
    }

    private Cache<AffinityKey, AffinityRecord> cache() {
        return cache;
    }

    /** A table bounded at {@link #DEFAULT_MAXIMUM_SIZE} clients, on the system clock. */
    public static AffinityTable create() {
        return create(DEFAULT_MAXIMUM_SIZE, Ticker.systemTicker(), ForkJoinPool.commonPool());
    }

    /**
     * A table holding at most {@code maximumSize} clients (past it, Caffeine evicts the least useful ones: those
     * clients simply get balanced afresh).
     *
     * @param ticker   the clock of last-seen times and deadlines; tests pass a fake one
     * @param executor where Caffeine runs its maintenance; tests pass {@code Runnable::run}
     */
    public static AffinityTable create(long maximumSize, Ticker ticker, Executor executor) {
        if (maximumSize <= 0) {
            throw new IllegalArgumentException("maximumSize: " + maximumSize + " (expected: > 0)");
        }
        return new AffinityTable(maximumSize, Objects.requireNonNull(ticker, "ticker"),
                Objects.requireNonNull(executor, "executor"));
    }

    /**
     * The endpoint held for {@code key} if it is still usable: among {@code usable} and seen less than
     * {@code timeoutNanos} ago (the moment the timeout has fully elapsed, the client is forgotten, as Caffeine's
     * deadline says). A usable hit counts as a sighting and restarts the client's timeout. The endpoint returned is
     * {@code usable}'s own instance (each maps to itself), not the record's, which an earlier route may have made:
     * callers after the balancer compare endpoints by identity.
     */
    @Nullable Endpoint lookup(AffinityKey key, Map<Endpoint, Endpoint> usable, long timeoutNanos) {
        AffinityRecord record = cache.getIfPresent(key);
        if (record == null) {
            return null;
        }
        long now = ticker.read();
        Endpoint current = usable(record, usable, timeoutNanos, now);
        if (current == null) {
            return null;
        }
        record.lastSeenNanos = now;
        if (record.timeoutNanos != timeoutNanos) {
            // The route's timeout changed since this record was written and retain() has not run yet.
            record.timeoutNanos = timeoutNanos;
            expiration.setExpiresAfter(key, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        return current;
    }

    /**
     * Holds {@code key} on the next endpoint of {@code balancer}, unless a usable record appeared since the caller's
     * lookup missed (another event loop served the same new client first), in which case that one is kept.
     */
    Endpoint assign(AffinityKey key, ClientIpAffinityBalancer balancer) {
        Map<Endpoint, Endpoint> usable = balancer.usable();
        long timeoutNanos = balancer.timeoutNanos();
        long now = ticker.read();
        AffinityRecord record = cache.asMap().compute(key, (k, old) -> {
            if (old != null && usable(old, usable, timeoutNanos, now) != null) {
                old.lastSeenNanos = now;
                old.timeoutNanos = timeoutNanos;
                return old;
            }
            index(k);
            return new AffinityRecord(balancer.nextInRotation(), timeoutNanos, now);
        });
        return usable.getOrDefault(record.endpoint, record.endpoint);
    }

    /** Holds {@code key} on {@code endpoint} from now on, whatever it was held on before. */
    void record(AffinityKey key, Endpoint endpoint, long timeoutNanos) {
        AffinityRecord next = new AffinityRecord(endpoint, timeoutNanos, ticker.read());
        index(key);
        cache.put(key, next);
    }

    void forget(AffinityKey key) {
        remove(key, null);
    }

    /** Removes {@code key} if it still maps to {@code expected} (any record when null), keeping the index exact. */
    private void remove(AffinityKey key, @Nullable AffinityRecord expected) {
        boolean removed = expected == null ? cache.asMap().remove(key) != null : cache.asMap().remove(key, expected);
        if (removed) {
            unindex(key);
        }
    }

    private void index(AffinityKey key) {
        byServicePort.compute(key.servicePort(), (sp, keys) -> {
            Set<AffinityKey> out = keys != null ? keys : ConcurrentHashMap.newKeySet();
            out.add(key);
            return out;
        });
    }

    private void unindex(AffinityKey key) {
        byServicePort.computeIfPresent(key.servicePort(), (sp, keys) -> keys.remove(key) && keys.isEmpty() ? null : keys);
    }

    /** {@code usable}'s instance of the record's endpoint if the record is usable at {@code now}; else null. */
    private static @Nullable Endpoint usable(AffinityRecord record, Map<Endpoint, Endpoint> usable, long timeoutNanos,
            long now) {
        return now - record.lastSeenNanos < timeoutNanos ? usable.get(record.endpoint) : null;
    }

    /**
     * Brings the whole table in line with {@code routes}, every route being served (any order, duplicates allowed):
     * {@link #retain(ServicePortName, Collection)} for every service port remembered. Linear in the service ports
     * remembered and their clients: for a full resync; a sync that knows what it changed calls the other.
     */
    public void retain(Collection<Route> routes) {
        Map<ServicePortName, List<Route>> byPort = new HashMap<>();
        for (Route route : routes) {
            byPort.computeIfAbsent(route.servicePort(), k -> new ArrayList<>()).add(route);
        }
        for (ServicePortName servicePort : Set.copyOf(byServicePort.keySet())) {
            retain(servicePort, byPort.getOrDefault(servicePort, List.of()));
        }
    }

    /**
     * Brings the clients of one service port in line with its routes now (every listener's route of it; empty when
     * it is gone). For each client of that service port remembered, it
     * <ul>
     *   <li>forgets it when no route has ClientIP affinity any more (affinity switched off, or the service port is
     *       gone);</li>
     *   <li>forgets it when its endpoint is in none of the routes;</li>
     *   <li>otherwise applies the service port's current timeout: the entry expires at last-seen + timeout, or now
     *       if that moment has passed.</li>
     * </ul>
     * Costs one pass over that service port's clients, nothing for the others; never blocks lookups.
     */
    public void retain(ServicePortName servicePort, Collection<Route> routes) {
        Set<AffinityKey> keys = byServicePort.get(servicePort);
        if (keys == null) {
            return;
        }
        Scope scope = null;
        for (Route route : routes) {
            if (route.affinity().isClientIp()) {
                scope = scope != null ? scope : new Scope();
                scope.add(route);
            }
        }
        long now = ticker.read();
        for (AffinityKey key : keys) {
            AffinityRecord record = cache.policy().getIfPresentQuietly(key);
            if (record == null) {
                unindex(key);
                continue;
            }
            if (scope == null || usable(record, scope.endpoints, scope.timeoutNanos, now) == null) {
                remove(key, record);
            } else if (record.timeoutNanos != scope.timeoutNanos) {
                record.timeoutNanos = scope.timeoutNanos;
                expiration.setExpiresAfter(key, record.remainingNanos(now), TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * The endpoint {@code client} is held on for {@code servicePort}, or {@code null}. A quiet read for diagnostics
     * and tests: it neither counts as a sighting nor moves the deadline.
     */
    public @Nullable Endpoint endpointOf(ServicePortName servicePort, InetAddress client) {
        AffinityRecord record = cache.policy().getIfPresentQuietly(new AffinityKey(servicePort, client));
        return record == null ? null : record.endpoint;
    }

    /** How many clients are remembered, after pending expiry is applied. Not for the hot path. */
    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** One service port's view at sync time: the union of its routes' endpoints, and its timeout. */
    private static final class Scope {
        final Map<Endpoint, Endpoint> endpoints = new HashMap<>();
        long timeoutNanos;

        void add(Route route) {
            route.endpoints().forEach(e -> endpoints.putIfAbsent(e, e));
            timeoutNanos = Math.max(timeoutNanos, route.affinity().timeout().toNanos());
        }
    }

    /**
     * Deadline = last seen + the record's timeout. A read is a sighting (the caller stamps last-seen right after),
     * so it restarts the full timeout; a write recomputes from the record, which covers re-stamping.
     */
    private static final class RecordExpiry implements Expiry<AffinityKey, AffinityRecord> {

        @Override
        public long expireAfterCreate(AffinityKey key, AffinityRecord record, long currentTime) {
            return Math.max(0, record.remainingNanos(currentTime));
        }

        @Override
        public long expireAfterUpdate(AffinityKey key, AffinityRecord record, long currentTime,
                long currentDuration) {
            return Math.max(0, record.remainingNanos(currentTime));
        }

        @Override
        public long expireAfterRead(AffinityKey key, AffinityRecord record, long currentTime,
                long currentDuration) {
            return record.timeoutNanos;
        }
    }
}
