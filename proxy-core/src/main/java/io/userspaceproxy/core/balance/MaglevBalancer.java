package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) of the client's IP. At sync time each endpoint gets a
 * permutation of the lookup table's slots, derived from its address alone ({@code ip:port}, hashed the same way on
 * every node), and the endpoints take turns claiming their next free preferred slot until the table is full. A pick
 * is then one hash of the client and one array read: the same client lands on the same endpoint on every node, and
 * removing one of N endpoints moves only the clients whose slots it held, about 1/N. The table's size is the first
 * of a fixed ladder of primes (1,009, 10,007, 100,003, ...) with at least {@value #SLOTS_PER_ENDPOINT} slots per
 * endpoint (the paper's "M much larger than N"): fixed, so that a change of endpoints keeps the size, and with it
 * every client's slot, unless it crosses a rung.
 *
 * <p>A retry after a failed connect walks the other endpoints in turn, as round-robin's does: the client's hash
 * has nothing better to offer once its endpoint failed.
 */
final class MaglevBalancer implements LoadBalancer {

    static final int SLOTS_PER_ENDPOINT = 100;
    /** The table sizes: primes, each about ten times the last. */
    private static final int[] SIZES = {1_009, 10_007, 100_003, 1_000_003, 10_000_019};

    private static final Comparator<Endpoint> BY_NAME = Comparator.comparing(e -> IpAddresses.format(e.address()));

    private final Endpoint[] endpoints;
    private final List<Endpoint> endpointList;
    private final int[] table;
    private final AtomicInteger cursor = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();

    MaglevBalancer(List<Endpoint> endpoints) {
        this.endpointList = List.copyOf(endpoints);
        // In one order on every node, whatever order the control plane listed them in: the turns they take
        // filling the table depend on it.
        this.endpoints = endpoints.stream().sorted(BY_NAME).toArray(Endpoint[]::new);
        this.table = populate(this.endpoints);
    }

    @Override
    public @Nullable Endpoint pick(InetAddress client) {
        int[] t = table;
        if (t.length == 0) {
            return null;
        }
        return endpoints[t[(int) ((mix(client.hashCode()) >>> 1) % t.length)]];
    }

    @Override
    public @Nullable Endpoint pickAfterFailure(InetAddress client, Endpoint failed, Endpoint first) {
        return RoundRobinBalancer.next(endpoints, failed, first, cursor, retries);
    }

    @Override
    public List<Endpoint> endpoints() {
        return endpointList;
    }

    @Override
    public LoadBalancer withEndpoints(List<Endpoint> newEndpoints) {
        return new MaglevBalancer(newEndpoints);
    }

    /** The lookup table: slot to index in {@code eps}; empty when there is no endpoint. */
    static int[] populate(Endpoint[] eps) {
        int n = eps.length;
        if (n == 0) {
            return new int[0];
        }
        int m = tableSize(n);
        long[] offset = new long[n];
        long[] skip = new long[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] name = IpAddresses.format(eps[i].address()).getBytes(StandardCharsets.UTF_8);
            offset[i] = Long.remainderUnsigned(mix(fnv1a(name, 0xcbf29ce484222325L)), m);
            skip[i] = Long.remainderUnsigned(mix(fnv1a(name, 0x84222325cbf29ce4L)), m - 1) + 1;
        }
        int[] entry = new int[m];
        Arrays.fill(entry, -1);
        int filled = 0;
        while (true) {
            for (int i = 0; i < n; i++) {
                int slot;
                do {
                    slot = (int) ((offset[i] + next[i] * skip[i]) % m);
                    next[i]++;
                } while (entry[slot] >= 0);
                entry[slot] = i;
                if (++filled == m) {
                    return entry;
                }
            }
        }
    }

    /** The first rung of {@link #SIZES} with {@value #SLOTS_PER_ENDPOINT} slots per endpoint, or the top one. */
    static int tableSize(int endpoints) {
        for (int size : SIZES) {
            if (size >= (long) endpoints * SLOTS_PER_ENDPOINT) {
                return size;
            }
        }
        return SIZES[SIZES.length - 1];
    }

    static int primeAtLeast(long atLeast) {
        for (long c = Math.max(2, atLeast); ; c++) {
            if (isPrime(c)) {
                return Math.toIntExact(c);
            }
        }
    }

    private static boolean isPrime(long c) {
        if (c % 2 == 0) {
            return c == 2;
        }
        for (long d = 3; d * d <= c; d += 2) {
            if (c % d == 0) {
                return false;
            }
        }
        return true;
    }

    /** FNV-1a over {@code bytes} from {@code basis}: stable across JVMs and nodes, unlike String.hashCode's spread. */
    private static long fnv1a(byte[] bytes, long basis) {
        long h = basis;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64's finalizer: spreads every input bit over the result. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "Maglev(" + table.length + " slots)" + Arrays.toString(endpoints);
    }
}
