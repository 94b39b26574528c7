package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.table.RouteTable;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What happens when a connection is accepted, on embedded channels: the route lookup, source ranges, refusals, and
 * the connect attempts walking the schedule and the endpoints. Backend channels are embedded too, so a "connect"
 * succeeds at once unless the factory fails it.
 */
@ExtendWith(TransportLeakCheck.class)
class TcpFrontendHandlerTest {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final ListenerKey LISTENER = ListenerKey.of(Protocol.TCP, new InetSocketAddress("127.0.10.1", 80));
    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final Endpoint E1 = Endpoint.of("10.0.0.1", 8080);
    private static final Endpoint E2 = Endpoint.of("10.0.0.2", 8080);
    private static final Endpoint E3 = Endpoint.of("10.0.0.3", 8080);

    private final ProxyCounters counters = new ProxyCounters();
    private final List<DuplexEmbeddedChannel> channels = new ArrayList<>();
    /** How many backend channels the factory should fail to create before it succeeds. */
    private int failingBackendChannels;
    /** Whether backend connects stay in progress until the test completes them. */
    private boolean holdConnects;

    @AfterEach
    void tearDown() {
        for (DuplexEmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    /** The endpoints the connector named when it asked for each backend channel. */
    private final List<InetSocketAddress> channelsAskedFor = new ArrayList<>();
    private final BackendChannelFactory backendFactory = new BackendChannelFactory() {
        @Override
        public Channel newChannel(InetSocketAddress endpoint) {
            channelsAskedFor.add(endpoint);
            return newChannel();
        }

        @Override
        public Channel newChannel() {
            return newBackend();
        }
    };

    private Channel newBackend() {
        if (failingBackendChannels > 0) {
            failingBackendChannels--;
            throw new ChannelException("Too many open files");
        }
        DuplexEmbeddedChannel backend = new DuplexEmbeddedChannel(null);
        if (holdConnects) {
            backend.holdConnect();
        }
        channels.add(backend);
        return backend;
    }

    /** Accepts a connection from {@code client} on a listener whose table holds {@code route} (none when null). */
    private DuplexEmbeddedChannel accept(Route route, InetSocketAddress client) throws Exception {
        RouteSnapshot snapshot = route == null ? RouteSnapshot.EMPTY : new RouteSnapshot(Map.of(LISTENER, route));
        RouteTable table = RouteTable.create(BalancerFactory.ROUND_ROBIN, counters);
        table.apply(snapshot);
        DuplexEmbeddedChannel frontend = new DuplexEmbeddedChannel(client);
        channels.add(frontend);
        frontend.pipeline().addLast(new TcpRelayInitializer(LISTENER, web(), () -> table.lookup(LISTENER), RelayOptions.DEFAULT,
                backendFactory));
        frontend.register();
        // Only advanceTimeBy moves the loop's clock from here: otherwise real time passes too, and a test that
        // stops a millisecond short of a deadline fails on a loaded machine.
        frontend.freezeTime();
        return frontend;
    }

    private ServicePortCounters web() {
        return counters.forServicePort(WEB);
    }

    private DuplexEmbeddedChannel backend(int i) {
        return channels.stream().filter(ch -> !ch.connectedTo().isEmpty()).skip(i).findFirst().orElseThrow();
    }

    @Test
    void channelActive_listenerNotInTable_closesAndCountsNoEndpoints() throws Exception {
        DuplexEmbeddedChannel frontend = accept(null, CLIENT);

        assertThat(frontend.isOpen()).isFalse();
        assertThat(web().noEndpointRejections()).isEqualTo(1);
        assertThat(web().closes(CloseReason.NO_ENDPOINTS)).isEqualTo(1);
    }

    @Test
    void channelActive_routeWithoutEndpoints_closesWithoutConnecting() throws Exception {
        DuplexEmbeddedChannel frontend = accept(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of()), CLIENT);

        assertThat(frontend.isOpen()).isFalse();
        assertThat(web().noEndpointRejections()).isEqualTo(1);
        assertThat(channels).hasSize(1);
    }

    @Test
    void channelActive_clientOutsideSourceRanges_closesAndCountsRejection() throws Exception {
        Route route = Route.of(WEB, FrontendKind.LOAD_BALANCER, List.of(E1))
                .withSourceRanges(List.of(Cidr.parse("192.168.0.0/16")));

        DuplexEmbeddedChannel frontend = accept(route, CLIENT);

        assertThat(frontend.isOpen()).isFalse();
        assertThat(web().sourceRangeRejections()).isEqualTo(1);
        assertThat(web().noEndpointRejections()).isZero();
        assertThat(channels).hasSize(1);
    }

    @Test
    void channelActive_clientInsideSourceRanges_connectsAndStartsReading() throws Exception {
        Route route = Route.of(WEB, FrontendKind.LOAD_BALANCER, List.of(E1))
                .withSourceRanges(List.of(Cidr.parse("192.168.0.0/16"), Cidr.parse("127.0.0.0/8")));

        DuplexEmbeddedChannel frontend = accept(route, CLIENT);

        assertThat(frontend.isOpen()).isTrue();
        assertThat(frontend.config().isAutoRead()).isTrue();
        assertThat(backend(0).connectedTo()).containsExactly(E1.address());
        assertThat(web().connectionsOpened()).isEqualTo(1);
    }

    @Test
    void channelActive_untilBackendConnects_frontendIsNotRead() throws Exception {
        holdConnects = true;
        DuplexEmbeddedChannel frontend = accept(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1)), CLIENT);
        assertThat(frontend.config().isAutoRead()).isFalse();
        assertThat(web().connectionsOpened()).isZero();

        backend(0).completeConnect();

        assertThat(frontend.config().isAutoRead()).isTrue();
        assertThat(web().connectionsOpened()).isEqualTo(1);
    }

    @Test
    void connect_firstAttemptsFail_retriesTheNextEndpointsAlongTheSchedule() throws Exception {
        failingBackendChannels = 2;

        DuplexEmbeddedChannel frontend = accept(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2, E3)), CLIENT);

        assertThat(frontend.isOpen()).isTrue();
        assertThat(backend(0).connectedTo()).containsExactly(E3.address());
        assertThat(backend(0).config().getConnectTimeoutMillis()).as("the loop's timer keeps it").isZero();
        assertThat(channelsAskedFor).as("each attempt's channel made for its endpoint")
                .containsExactly(E1.address(), E2.address(), E3.address());
        assertThat(web().connectFailures()).isEqualTo(2);
        assertThat(web().connectRetries()).isEqualTo(2);
        assertThat(web().connectionsOpened()).isEqualTo(1);
    }

    @Test
    void connect_attemptsOutlastTheirTimeouts_timerMovesToTheNextEndpointAlongTheSchedule() throws Exception {
        holdConnects = true;
        DuplexEmbeddedChannel frontend = accept(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2)), CLIENT);
        List<Duration> schedule = RelayOptions.DEFAULT_CONNECT_TIMEOUTS;

        for (int attempt = 0; attempt < schedule.size(); attempt++) {
            assertThat(backend(attempt).connectedTo()).containsExactly(attempt % 2 == 0 ? E1.address() : E2.address());
            // 20 ms short of the deadline: the first attempt's clock started just before time was frozen.
            advance(frontend, schedule.get(attempt).minusMillis(20));
            assertThat(channels).as("attempt %d still waits", attempt).hasSize(2 + attempt);
            advance(frontend, Duration.ofMillis(20));
            assertThat(backend(attempt).isOpen()).as("attempt %d given up", attempt).isFalse();
            assertThat(web().connectFailures()).isEqualTo(attempt + 1);
        }

        assertThat(frontend.isOpen()).isFalse();
        assertThat(web().connectRetries()).isEqualTo(schedule.size() - 1);
        assertThat(web().closes(CloseReason.CONNECT_FAILED)).isEqualTo(1);
        assertThat(web().connectionsOpened()).isZero();
    }

    private static void advance(DuplexEmbeddedChannel loop, Duration by) {
        loop.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void connect_everyAttemptFails_closesAsConnectFailedAfterTheSchedule() throws Exception {
        failingBackendChannels = Integer.MAX_VALUE;

        DuplexEmbeddedChannel frontend = accept(Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(E1, E2)), CLIENT);

        int attempts = RelayOptions.DEFAULT_CONNECT_TIMEOUTS.size();
        assertThat(frontend.isOpen()).isFalse();
        assertThat(web().connectFailures()).isEqualTo(attempts);
        assertThat(web().connectRetries()).isEqualTo(attempts - 1);
        assertThat(web().closes(CloseReason.CONNECT_FAILED)).isEqualTo(1);
        assertThat(web().connectionsOpened()).isZero();
    }
}
