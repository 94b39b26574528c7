package io.userspaceproxy.core.balance;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RoundRobinBalancerTest {

    private static final InetAddress CLIENT = IpAddresses.parse("192.0.2.7");
    private static final Endpoint E1 = Endpoint.of("10.0.0.1", 8080);
    private static final Endpoint E2 = Endpoint.of("10.0.0.2", 8080);
    private static final Endpoint E3 = Endpoint.of("10.0.0.3", 8080);
    private static final Endpoint E4 = Endpoint.of("10.0.0.4", 8080);

    private final LoadBalancer balancer = LoadBalancer.roundRobin(List.of(E1, E2, E3));

    private static List<Endpoint> picks(LoadBalancer balancer, int n) {
        return Picks.of(balancer, CLIENT, n);
    }

    @Test
    void pick_threeEndpoints_walksThemInOrder() {
        assertThat(picks(balancer, 7)).containsExactly(E1, E2, E3, E1, E2, E3, E1);
    }

    @Test
    void pick_manyPicks_spreadsEvenly() {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (Endpoint e : picks(balancer, 3000)) {
            counts.merge(e, 1, Integer::sum);
        }

        assertThat(counts).containsOnly(Map.entry(E1, 1000), Map.entry(E2, 1000), Map.entry(E3, 1000));
    }

    @Test
    @Timeout(10)
    void pick_concurrentEventLoops_spreadExactlyEvenly() throws InterruptedException {
        int threads = 4;
        int picksPerThread = 30_000;
        Map<Endpoint, AtomicLong> counts = new ConcurrentHashMap<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> pickers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread picker = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < picksPerThread; i++) {
                    counts.computeIfAbsent(balancer.pick(CLIENT), k -> new AtomicLong()).incrementAndGet();
                }
            });
            picker.start();
            pickers.add(picker);
        }
        start.countDown();
        for (Thread picker : pickers) {
            picker.join();
        }

        long each = (long) threads * picksPerThread / 3;
        assertThat(counts).hasSize(3);
        assertThat(counts.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(each));
    }

    @Test
    void pick_noEndpoints_returnsNull() {
        assertThat(LoadBalancer.roundRobin(List.of()).pick(CLIENT)).isNull();
    }

    @Test
    void pick_cursorWrapsAroundIntMax_staysOnAnEndpoint() {
        LoadBalancer nearWrap = new RoundRobinBalancer(new Endpoint[] {E1, E2, E3},
                new AtomicInteger(Integer.MAX_VALUE - 2));

        assertThat(picks(nearWrap, 6)).doesNotContainNull().containsOnly(E1, E2, E3);
    }

    @Test
    void pickAfterFailure_failedEndpoint_returnsEachOtherInTurn() {
        assertThat(List.of(balancer.pickAfterFailure(CLIENT, E1), balancer.pickAfterFailure(CLIENT, E1),
                balancer.pickAfterFailure(CLIENT, E1), balancer.pickAfterFailure(CLIENT, E1)))
                .containsExactly(E2, E3, E2, E3);
        for (int i = 0; i < 10; i++) {
            assertThat(balancer.pickAfterFailure(CLIENT, E3)).isIn(E1, E2);
        }
    }

    /** Issue 11: the neighbour of a dead endpoint took every retry (973 vs 487 connections). */
    @Test
    void pickAfterFailure_deadEndpointStillListed_retriesSpreadOverTheOthers() {
        LoadBalancer four = LoadBalancer.roundRobin(List.of(E1, E2, E3, E4));
        Map<Endpoint, Integer> served = new HashMap<>();
        for (int i = 0; i < 3_000; i++) {
            Endpoint e = four.pick(CLIENT);
            if (e.equals(E1)) { // dead: the connect fails, the connection is retried
                e = four.pickAfterFailure(CLIENT, E1);
            }
            served.merge(e, 1, Integer::sum);
        }

        assertThat(served).containsOnlyKeys(E2, E3, E4);
        assertThat(served.values()).allSatisfy(n -> assertThat(n).isEqualTo(1_000));
    }

    @Test
    void pickAfterFailure_retries_doNotShiftTheRotationOfFirstPicks() {
        assertThat(balancer.pick(CLIENT)).isEqualTo(E1);
        balancer.pickAfterFailure(CLIENT, E1);
        balancer.pickAfterFailure(CLIENT, E1);

        assertThat(picks(balancer, 3)).containsExactly(E2, E3, E1);
    }

    @Test
    void pickAfterFailure_failedEndpointGoneSinceThePick_returnsAFreshPick() {
        assertThat(balancer.pickAfterFailure(CLIENT, E4)).isIn(E1, E2, E3);
    }

    @Test
    void pickAfterFailure_singleEndpoint_triesItAgain() {
        assertThat(LoadBalancer.roundRobin(List.of(E1)).pickAfterFailure(CLIENT, E1)).isEqualTo(E1);
    }

    @Test
    void pickAfterFailure_noEndpoints_returnsNull() {
        assertThat(LoadBalancer.roundRobin(List.of()).pickAfterFailure(CLIENT, E1)).isNull();
    }

    @Test
    void withEndpoints_newSet_continuesTheRotation() {
        assertThat(picks(balancer, 2)).containsExactly(E1, E2);

        LoadBalancer grown = balancer.withEndpoints(List.of(E1, E2, E3, E4));

        assertThat(picks(grown, 3)).containsExactly(E3, E4, E1);
        assertThat(balancer.endpoints()).as("the old balancer keeps its set").containsExactly(E1, E2, E3);
    }

    @Test
    void pickAfterFailure_allocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (int i = 0; i < 20_000; i++) {
            balancer.pickAfterFailure(CLIENT, E2);
        }
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 100_000; i++) {
            balancer.pickAfterFailure(CLIENT, E2);
        }
        long allocated = threads.getThreadAllocatedBytes(id) - before;

        assertThat(allocated).as("bytes for 100,000 retries (the measurement itself may cost a few)")
                .isLessThan(1_024);
    }

    @Test
    void pickAfterFailure_laterRetriesOfOneConnection_walkDistinctEndpoints() {
        LoadBalancer four = LoadBalancer.roundRobin(List.of(E1, E2, E3, E4));
        for (int connection = 0; connection < 6; connection++) {
            List<Endpoint> tried = new ArrayList<>(List.of(E1));
            for (int retry = 0; retry < 3; retry++) { // every endpoint is dead: the whole schedule
                tried.add(four.pickAfterFailure(CLIENT, tried.get(tried.size() - 1), E1));
            }

            assertThat(tried).as("connection %d", connection).doesNotHaveDuplicates();
        }
    }
}
