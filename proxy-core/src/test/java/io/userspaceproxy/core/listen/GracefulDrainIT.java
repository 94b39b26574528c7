package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPayload;
import io.userspaceproxy.core.testing.TcpSourceServer;
import io.userspaceproxy.core.testing.TcpTestClient;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The SIGTERM sequence of a listener set, once per transport: {@link ListenerSet#stopAccepting()}, then
 * {@link ListenerSet#awaitDrained}, then {@link ListenerSet#close()} for whatever outlived the drain.
 */
@ParameterizedClass
@EnumSource(Transport.class)
class GracefulDrainIT {

    private static final ServicePortName WEB = ProxyFixture.WEB;
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long MiB = 1024 * 1024;

    @RegisterExtension
    final ProxyFixture fixture;
    private final ExecutorService drainer = Executors.newSingleThreadExecutor();

    GracefulDrainIT(Transport transport) {
        this.fixture = new ProxyFixture(transport);
    }

    @AfterEach
    void tearDown() throws Exception {
        drainer.shutdownNow();
    }

    private InetSocketAddress serve(Endpoint endpoint) {
        fixture.start(fixture.options(), BalancerFactory.ROUND_ROBIN);
        return fixture.serve("127.0.10.3", Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(endpoint))).address();
    }

    private ServicePortCounters web() {
        return fixture.web();
    }

    private CompletableFuture<Boolean> awaitDrainedInBackground(Duration timeout) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return fixture.proxy().awaitDrained(timeout);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }, drainer);
    }

    @Test
    @Timeout(60)
    void stopAccepting_downloadInFlight_keepsFlowingToTheLastByteWhileNewClientsAreRefused() throws Exception {
        long length = 64 * MiB;
        TcpSourceServer source = fixture.add(new TcpSourceServer(length));
        InetSocketAddress vip = serve(source.endpoint());

        try (TcpTestClient client = TcpTestClient.connect(vip, null, 64 * 1024)) {
            // The client has not read yet, so backpressure holds the transfer at a few hundred KiB in flight.
            await().atMost(WAIT).until(() -> web().bytesToFrontend() > 0);
            fixture.proxy().stopAccepting();
            long relayedAtStop = web().bytesToFrontend();

            // On NIO the JDK closes the listening socket at its selector's next select, a moment after
            // stopAccepting returns (see ListenerSet): wait for that moment rather than race it.
            await().atMost(WAIT).untilAsserted(() -> assertThatThrownBy(() -> TcpTestClient.connect(vip).close())
                    .isInstanceOf(ConnectException.class));
            assertThat(TcpPayload.readToEnd(client.input())).isEqualTo(TcpPayload.expected(length));
            assertThat(relayedAtStop).isLessThan(length / 2);
        }

        assertThat(fixture.proxy().awaitDrained(WAIT)).isTrue();
        assertThat(fixture.proxy().connectionCount()).isZero();
        assertThat(web().bytesToFrontend()).isEqualTo(length);
        assertThat(web().closes(CloseReason.SHUTDOWN)).isZero();
    }

    @Test
    @Timeout(30)
    void awaitDrained_lastOfTwoConnectionsEnds_returnsTrueThen() throws Exception {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        InetSocketAddress vip = serve(echo.endpoint());
        TcpTestClient first = fixture.add(TcpTestClient.connect(vip));
        TcpTestClient second = fixture.add(TcpTestClient.connect(vip));
        assertThat(first.readLine()).isEqualTo("a");
        assertThat(second.readLine()).isEqualTo("a");
        fixture.proxy().stopAccepting();

        CompletableFuture<Boolean> drained = awaitDrainedInBackground(Duration.ofSeconds(20));
        first.shutdownOutput();
        assertThat(first.read()).isEqualTo(-1);
        await().atMost(WAIT).until(() -> fixture.proxy().connectionCount() == 1);
        assertThat(drained).isNotDone();
        second.shutdownOutput();

        assertThat(drained.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(fixture.proxy().connectionCount()).isZero();
        assertThat(web().closes(CloseReason.COMPLETED)).isEqualTo(2);
    }

    @Test
    @Timeout(30)
    void awaitDrained_connectionOutlivesTimeout_falseThenCloseEndsItAsShutdown() throws Exception {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        InetSocketAddress vip = serve(echo.endpoint());
        TcpTestClient client = fixture.add(TcpTestClient.connect(vip));
        assertThat(client.readLine()).isEqualTo("a");
        fixture.proxy().stopAccepting();
        Duration timeout = Duration.ofMillis(300);

        long start = System.nanoTime();
        boolean drained = fixture.proxy().awaitDrained(timeout);
        Duration waited = Duration.ofNanos(System.nanoTime() - start);

        assertThat(drained).isFalse();
        assertThat(waited).isGreaterThanOrEqualTo(timeout);
        assertThat(client.writeLine("still served").readLine()).isEqualTo("still served");
        fixture.proxy().close();
        assertThat(client.read()).isEqualTo(-1);
        assertThat(web().closes(CloseReason.SHUTDOWN)).isEqualTo(1);
        assertThat(fixture.proxy().awaitDrained(Duration.ZERO)).isTrue();
    }

    @Test
    @Timeout(30)
    void awaitDrained_nothingOpen_trueAtOnceAndRefusesNegativeTimeouts() throws Exception {
        TcpEchoServer echo = fixture.add(new TcpEchoServer("a"));
        serve(echo.endpoint());

        assertThat(fixture.proxy().awaitDrained(Duration.ZERO)).isTrue();
        assertThatThrownBy(() -> fixture.proxy().awaitDrained(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout: PT-1S (expected: >= 0)");
    }
}
