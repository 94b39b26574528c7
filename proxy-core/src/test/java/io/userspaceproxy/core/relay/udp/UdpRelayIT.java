package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpRelayHarness;
import io.userspaceproxy.core.testing.UdpTestClient;
import io.userspaceproxy.core.testing.UdpTestClient.Reply;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The UDP relay over real loopback sockets, on each transport. Service addresses are 127.0.20.x; echo endpoints on
 * 127.0.0.1 prefix each reply with their name. Waits are generous: the build machine is small and shared.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UdpRelayIT {

    private static final Duration REPLY = Duration.ofSeconds(5);
    private static final Duration NO_REPLY = Duration.ofMillis(300);
    /** Datagrams sent back to back before their replies are awaited. */
    private static final int BURST = 64;
    private static final ServicePortName DNS = new ServicePortName("default", "dns", "udp", Protocol.UDP);
    private static final ListenerKey VIP = ListenerKey.of(Protocol.UDP, new InetSocketAddress("127.0.20.1", 0));

    @AutoClose
    private UdpRelayHarness proxy;

    private void start(Transport transport, UdpRelayOptions options) {
        proxy = UdpRelayHarness.start(transport, options);
    }

    private UdpEchoBackend echo(String name) throws InterruptedException {
        return proxy.echo(name);
    }

    private static Route route(Duration idleTimeout, UdpEchoBackend... backends) {
        List<Endpoint> endpoints = Arrays.stream(backends).map(UdpEchoBackend::endpoint).toList();
        return Route.of(DNS, FrontendKind.CLUSTER_IP, endpoints).withUdpIdleTimeout(idleTimeout);
    }

    private static Reply reply(UdpTestClient client, InetSocketAddress to, String payload) {
        return client.exchange(to, payload, REPLY).orElseThrow(() -> new AssertionError("no reply to " + payload));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void relay_datagramToVip_echoedFromEndpointWithVipAsSource(Transport transport) throws Exception {
        start(transport, UdpRelayOptions.DEFAULT);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);

            Reply reply = reply(client, vip, "hello");

            assertThat(reply.text()).isEqualTo("ep1:hello");
            assertThat(reply.source()).isEqualTo(vip);
            assertThat(ep1.peers()).doesNotContain(client.localAddress());
            ServicePortCounters counters = proxy.counters(DNS);
            assertThat(counters.udpFlowsOpened()).isEqualTo(1);
            assertThat(counters.udpDatagramsToBackend()).isEqualTo(1);
            assertThat(counters.bytesToBackend()).isEqualTo(5);
            assertThat(counters.bytesToFrontend()).isEqualTo("ep1:hello".length());
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void relay_60000ByteDatagram_roundTripsIntact(Transport transport) throws Exception {
        start(transport, UdpRelayOptions.DEFAULT);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);
            byte[] payload = new byte[60_000];
            new Random(42).nextBytes(payload);

            client.send(vip, payload);
            Reply reply = client.receive(REPLY).orElseThrow();

            byte[] expected = new byte[4 + payload.length];
            System.arraycopy("ep1:".getBytes(StandardCharsets.US_ASCII), 0, expected, 0, 4);
            System.arraycopy(payload, 0, expected, 4, payload.length);
            assertThat(reply.payload()).hasSize(60_004).isEqualTo(expected);
        }
    }

    /**
     * A burst sent back to back is read by the listener in batches (recvmmsg on epoll) and written to the backend with
     * one flush per batch; the replies leave the listener with one flush per loop turn. Batching must neither lose
     * nor reorder: every datagram arrives, in the order sent, over one flow.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void relay_burstFromOneClient_everyDatagramEchoedInOrder(Transport transport) throws Exception {
        List<String> burst = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            burst.add(Integer.toString(i));
        }

        assertThat(echoedInOneFlow(transport, burst)).containsExactlyElementsOf(echoesOf(burst));
        ServicePortCounters counters = proxy.counters(DNS);
        assertThat(counters.udpFlowsOpened()).isEqualTo(1);
        assertThat(counters.udpDatagramsToBackend()).isEqualTo(burst.size());
        assertThat(counters.udpDatagramsDropped()).isZero();
    }

    /**
     * Sends {@code payloads} from one client to a VIP with one echo endpoint, in bursts of at most {@value #BURST}
     * datagrams back to back (each burst's replies are in before the next is sent: a longer burst can overflow a
     * socket's default receive buffer on this small machine, and UDP may drop then), and returns the replies in the
     * order they arrived, each checked to come from the VIP.
     */
    private List<String> echoedInOneFlow(Transport transport, List<String> payloads) throws Exception {
        start(transport, UdpRelayOptions.DEFAULT);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);
            List<String> replies = new ArrayList<>();
            for (int from = 0; from < payloads.size(); from += BURST) {
                List<String> burst = payloads.subList(from, Math.min(payloads.size(), from + BURST));
                for (String payload : burst) {
                    client.send(vip, payload);
                }
                for (int i = 0; i < burst.size(); i++) {
                    Reply reply = client.receive(REPLY).orElseThrow(() -> new AssertionError(
                            replies.size() + " replies of " + payloads.size() + ", the last: " + last(replies)));
                    assertThat(reply.source()).isEqualTo(vip);
                    replies.add(reply.text());
                }
            }
            return replies;
        }
    }

    private static String last(List<String> replies) {
        return replies.isEmpty() ? "none" : replies.get(replies.size() - 1);
    }

    private static List<String> echoesOf(List<String> payloads) {
        return payloads.stream().map(payload -> "ep1:" + payload).toList();
    }

    /**
     * Datagram boundaries survive the batched path: with UDP_GRO the kernel may hand the listener a train of equal
     * datagrams as one read, which a datagram of another size ends, and a read loop's datagrams leave with one
     * flush. Long runs of one size, shorter and longer ones that break them, and large datagrams in between: each
     * must arrive as the datagram it was, in order.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void relay_burstOfMixedSizes_everyDatagramArrivesWholeAndInOrder(Transport transport) throws Exception {
        List<String> burst = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            burst.add(mixedSizeDatagram(i));
        }

        assertThat(echoedInOneFlow(transport, burst)).containsExactlyElementsOf(echoesOf(burst));
        assertThat(proxy.counters(DNS).udpDatagramsToBackend()).isEqualTo(burst.size());
    }

    /**
     * A burst the listener reads in one go (its event loops were busy while it came) leaves in GSO runs on epoll, and
     * the replies the endpoint sends back in a burst leave the listener in runs too; every datagram still arrives as
     * the one sent, in order: runs of one size, a shorter datagram ending one, a longer one breaking one, and one too
     * large for any run. With GSO off, the same burst leaves datagram by datagram.
     */
    @ParameterizedTest(name = "gso {0}")
    @ValueSource(booleans = {true, false})
    void relay_burstReadInOneLoop_leavesInRunsAndArrivesDatagramByDatagram(boolean gso) throws Exception {
        start(Transport.EPOLL, UdpRelayOptions.DEFAULT.withGso(gso));
        List<String> burst = new ArrayList<>();
        int[] sizes = {100, 100, 100, 100, 100, 40, 120, 120, 120, 1_400, 64, 64, 64, 64, 64, 64, 200, 64, 64, 64};
        for (int i = 0; i < sizes.length; i++) {
            String number = i + ":";
            burst.add(number + String.valueOf((char) ('a' + i)).repeat(sizes[i] - number.length()));
        }
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);
            assertThat(reply(client, vip, "open").text()).isEqualTo("ep1:open");

            proxy.sendWhileLoopsBusy(client, vip, burst);

            List<String> replies = new ArrayList<>();
            for (int i = 0; i < burst.size(); i++) {
                replies.add(client.receive(REPLY).orElseThrow(() -> new AssertionError(
                        replies.size() + " replies of " + burst.size() + ", the last: " + last(replies))).text());
            }
            assertThat(replies).containsExactlyElementsOf(echoesOf(burst));
        }
        if (gso) {
            assertThat(proxy.flows().segmentedDatagrams()).as("datagrams that left in runs").isPositive();
        } else {
            assertThat(proxy.flows().segmentedDatagrams()).as("--udp-gso=false: none in runs").isZero();
        }
        assertThat(proxy.flows().refusedRuns()).isZero();
        assertThat(proxy.counters(DNS).udpDatagramsDropped()).isZero();
    }

    /**
     * A flow stamps its activity with the clock of the read loop, read once per loop, not once per datagram: a burst
     * of 64 read in a few loops reads the clock a few times. The endpoint only receives, so no reply loop reads it.
     * Epoll, where the relay's UDP runs on every transport: NIO's and io_uring's datagram channels end a read loop
     * after each datagram, so there a read per loop is still one per datagram.
     */
    @Test
    void relay_burstReadInOneLoop_readsTheClockOncePerLoop() throws Exception {
        AtomicLong reads = new AtomicLong();
        proxy = UdpRelayHarness.start(Transport.EPOLL, UdpRelayOptions.DEFAULT, () -> {
            reads.incrementAndGet();
            return System.nanoTime();
        });
        try (UdpTestClient sink = UdpTestClient.bind("127.0.0.2");
                UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            Route route = Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(new Endpoint(sink.localAddress())))
                    .withUdpIdleTimeout(Duration.ofSeconds(30));
            proxy.publish(Map.of(VIP, route));
            InetSocketAddress vip = proxy.bind(VIP);
            client.send(vip, "open");
            assertThat(sink.receive(REPLY)).as("the flow's first datagram").isPresent();
            List<String> burst = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                burst.add("datagram " + i);
            }
            reads.set(0);

            proxy.sendWhileLoopsBusy(client, vip, burst);

            for (int i = 0; i < BURST; i++) {
                assertThat(sink.receive(REPLY)).as("datagram %d of %d at the endpoint", i, BURST).isPresent();
            }
            assertThat(reads.get()).as("clock reads for %d datagrams", BURST).isBetween(1L, (long) BURST / 4);
        }
    }

    /** Datagram {@code i} of the mixed burst: its number, padded to a size that follows a pattern of runs. */
    private static String mixedSizeDatagram(int i) {
        int size;
        if (i < BURST) {
            size = 100; // a run of one size as long as a burst
        } else if (i % 9 == 0) {
            size = 1_400;
        } else if (i % 5 == 0) {
            size = 40;
        } else {
            size = i % 2 == 0 ? 100 : 120;
        }
        String number = i + ":";
        return number + String.valueOf((char) ('a' + i % 26)).repeat(size - number.length());
    }

    /**
     * A flow ends once it has been idle for its timeout on the table's clock: frozen, the flow outlives several of
     * its timer's checks; moved past the timeout, the next check ends it and releases its socket.
     */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void flow_idleForTimeout_expiresAndReleasesItsSocket(Transport transport) throws Exception {
        AtomicLong now = new AtomicLong();
        proxy = UdpRelayHarness.start(transport, UdpRelayOptions.DEFAULT, now::get);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofMillis(100), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);

            reply(client, vip, "one");
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> proxy.flows().activeFlows(VIP) == 1);

            now.addAndGet(Duration.ofMillis(100).toNanos());
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> proxy.flows().activeFlows() == 0);
            ServicePortCounters counters = proxy.counters(DNS);
            assertThat(counters.udpFlowsActive()).isZero();
            assertThat(reply(client, vip, "two").text()).isEqualTo("ep1:two");
            assertThat(counters.udpFlowsOpened()).isEqualTo(2);
        }
    }

    /** Replies count as activity as requests do: a flow busy either way outlives many idle timeouts. */
    @ParameterizedTest
    @EnumSource(Transport.class)
    void flow_busyInEitherDirection_outlivesIdleTimeout(Transport transport) throws Exception {
        AtomicLong now = new AtomicLong();
        proxy = UdpRelayHarness.start(transport, UdpRelayOptions.DEFAULT, now::get);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofMillis(100), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);

            // Twenty exchanges, each after 60 ms on the table's clock and about 50 ms of real time, so the flow's
            // timer checks it between them: twelve idle timeouts in all, never one without a datagram.
            for (int i = 0; i < 20; i++) {
                now.addAndGet(Duration.ofMillis(60).toNanos());
                assertThat(reply(client, vip, "ping").text()).isEqualTo("ep1:ping");
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }

            assertThat(proxy.counters(DNS).udpFlowsOpened()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void open_flowBoundReached_refusesNewClientsAndKeepsOldFlows(Transport transport) throws Exception {
        start(transport, UdpRelayOptions.DEFAULT.withMaxFlows(2));
        try (UdpEchoBackend ep1 = echo("ep1");
                UdpTestClient a = UdpTestClient.bind("127.0.0.2");
                UdpTestClient b = UdpTestClient.bind("127.0.0.3");
                UdpTestClient c = UdpTestClient.bind("127.0.0.4")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);
            reply(a, vip, "a1");
            reply(b, vip, "b1");

            assertThat(c.exchange(vip, "c1", NO_REPLY)).isEmpty();

            ServicePortCounters counters = proxy.counters(DNS);
            await().atMost(REPLY).until(() -> counters.udpFlowsRejected() == 1);
            assertThat(reply(a, vip, "a2").text()).isEqualTo("ep1:a2");
            assertThat(reply(b, vip, "b2").text()).isEqualTo("ep1:b2");
            assertThat(proxy.flows().activeFlows()).isEqualTo(2);
            assertThat(ep1.datagramsReceived()).isEqualTo(4);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void onRoutesChanged_endpointRemoved_nextDatagramReachesAnotherEndpoint(Transport transport)
            throws Exception {
        start(transport, UdpRelayOptions.DEFAULT);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpEchoBackend ep2 = echo("ep2");
                UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);
            assertThat(reply(client, vip, "before").backend()).isEqualTo("ep1");

            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep2)));
            await().atMost(REPLY).until(() -> proxy.counters(DNS).udpFlowsActive() == 0);

            assertThat(reply(client, vip, "after").text()).isEqualTo("ep2:after");
            assertThat(proxy.flows().activeFlows()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void onRoutesChanged_routeGone_closesItsFlows(Transport transport) throws Exception {
        start(transport, UdpRelayOptions.DEFAULT);
        try (UdpEchoBackend ep1 = echo("ep1"); UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30), ep1)));
            InetSocketAddress vip = proxy.bind(VIP);
            reply(client, vip, "hello");

            proxy.publish(Map.of());

            await().atMost(REPLY).until(() -> proxy.flows().activeFlows() == 0);
            assertThat(proxy.counters(DNS).udpFlowsActive()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void open_noEndpoints_dropsAndCounts(Transport transport) throws Exception {
        start(transport, UdpRelayOptions.DEFAULT);
        try (UdpTestClient client = UdpTestClient.bind("127.0.0.1")) {
            proxy.publish(Map.of(VIP, route(Duration.ofSeconds(30))));
            InetSocketAddress vip = proxy.bind(VIP);

            client.send(vip, "anyone?");

            await().atMost(REPLY).until(() -> proxy.counters(DNS).udpDatagramsDropped() == 1);
            assertThat(proxy.flows().activeFlows()).isZero();
            assertThat(client.receive(NO_REPLY)).isEmpty();
        }
    }
}
