package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteChanges;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.tcp.TcpConnectionChannels;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.ConnectException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * On epoll and io_uring a TCP key is served by one SO_REUSEPORT socket per event loop, and each keeps the connections
 * it accepts (frontend and backend) on its own loop, so accepting never hands a connection to, and wakes, another
 * loop.
 */
@Timeout(30)
@ParameterizedClass
@EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING"})
class AcceptorPerLoopIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final int LOOPS = 2;
    /** The kernel spreads connections over the sockets by a hash: 32 all landing on one loop is a 2^-31 event. */
    private static final int CONNECTIONS = 32;

    @RegisterExtension
    final ProxyFixture fixture;
    private TcpEchoServer echo;

    AcceptorPerLoopIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    @BeforeEach
    void setUp() {
        fixture.start(fixture.options().withIoThreads(LOOPS), BalancerFactory.ROUND_ROBIN);
        echo = fixture.add(new TcpEchoServer("echo"));
    }

    private ListenerKey serve() {
        ListenerKey key = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.40"));
        fixture.serve(key, Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(echo.endpoint())));
        return key;
    }

    @Test
    void apply_tcpKey_bindsOneSocketOnEachEventLoop() {
        ListenerKey key = serve();

        List<Channel> sockets = fixture.proxy().listeners(key);

        assertThat(sockets).hasSize(LOOPS).allMatch(Channel::isActive);
        assertThat(sockets.stream().map(Channel::eventLoop).distinct()).hasSize(LOOPS);
        assertThat(sockets.stream().map(Channel::localAddress).distinct()).containsExactly(key.address());
    }

    @Test
    void accept_manyConnections_eachStaysOnTheLoopThatAcceptedIt() throws Exception {
        ListenerKey key = serve();
        for (int i = 0; i < CONNECTIONS; i++) {
            TcpTestClient client = fixture.add(TcpTestClient.connect(key.address()));
            assertThat(client.readLine()).isEqualTo("echo");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> fixture.proxy().connectionCount() == CONNECTIONS);

        List<Channel> frontends = TcpConnectionChannels.frontends(fixture.proxy().tcpConnections());

        assertThat(frontends).hasSize(CONNECTIONS);
        Set<EventLoop> used = new HashSet<>();
        for (Channel frontend : frontends) {
            assertThat(frontend.eventLoop()).as("%s accepted by %s", frontend, frontend.parent())
                    .isSameAs(frontend.parent().eventLoop());
            used.add(frontend.eventLoop());
        }
        assertThat(used).as("the kernel spread connections over every loop's socket").hasSize(LOOPS);
    }

    @Test
    void stopAccepting_closesEverySocketOfTheKey() throws Exception {
        ListenerKey key = serve();
        List<Channel> sockets = fixture.proxy().listeners(key);

        fixture.proxy().stopAccepting();

        assertThat(sockets).noneMatch(Channel::isOpen);
        assertThat(fixture.proxy().boundKeys()).isEmpty();
        try (TcpTestClient refused = TcpTestClient.connect(key.address())) {
            throw new AssertionError("connected after stopAccepting: " + refused.socket());
        } catch (ConnectException expected) {
            // every socket of the key is gone
        }
    }

    @Test
    void apply_socketBudgetSpent_bindsOneSocketPerKeyUntilSocketsAreFreedAgain() throws Exception {
        ListenerSet budgeted = fixture.start(fixture.options().withIoThreads(LOOPS).withSocketBudget(LOOPS + 1),
                BalancerFactory.ROUND_ROBIN);
        Route route = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(echo.endpoint()));
        ListenerKey first = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.41"));
        ListenerKey second = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.42"));
        budgeted.apply(new RouteChanges(Map.of(first, route), Set.of()));

        budgeted.apply(new RouteChanges(Map.of(second, route), Set.of()));

        assertThat(budgeted.listeners(first)).hasSize(LOOPS);
        assertThat(budgeted.listeners(second)).as("past the budget: one socket").hasSize(1);
        try (TcpTestClient client = TcpTestClient.connect(second.address())) {
            assertThat(client.readLine()).isEqualTo("echo");
        }

        ListenerKey third = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.43"));
        budgeted.apply(new RouteChanges(Map.of(third, route), Set.of(first)));

        assertThat(budgeted.listeners(third)).as("the first key's sockets were given back").hasSize(LOOPS);
    }

    @Test
    void apply_moreKeysAtOnceThanTheBudgetAllowsPerLoop_givesEachOneSocketRatherThanSomeNone() {
        ListenerSet budgeted = fixture.start(fixture.options().withIoThreads(LOOPS).withSocketBudget(3),
                BalancerFactory.ROUND_ROBIN);
        Route route = Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(echo.endpoint()));
        Map<ListenerKey, Route> routes = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            routes.put(ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10." + (44 + i))), route);
        }

        ApplyResult result = budgeted.apply(new RouteChanges(routes, Set.of()));

        assertThat(result.bound()).hasSize(3);
        for (ListenerKey key : routes.keySet()) {
            assertThat(budgeted.listeners(key)).as("%s", key).hasSize(1);
        }
    }
}
