package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.userspaceproxy.core.balance.BalancerFactory;
import io.userspaceproxy.core.handover.Handover;
import io.userspaceproxy.core.handover.HandoverClient;
import io.userspaceproxy.core.handover.HandoverServer;
import io.userspaceproxy.core.metrics.ProxyCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.Closer;
import io.userspaceproxy.core.testing.TcpEchoServer;
import io.userspaceproxy.core.testing.TcpPorts;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import io.userspaceproxy.core.testing.UdpEchoBackend;
import io.userspaceproxy.core.testing.UdpTestClient;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An upgrade that drops nothing, in one JVM (loopback): an old and a new listener set, the old one's sockets handed to
 * the new one over a real Unix domain socket. The old set's accepts and UDP reads are paused first, so at the moment
 * it closes its descriptors its accept queues and receive buffers are full; every queued connection and datagram must
 * then be served by the new set (whose backends answer "new"), none reset or lost. Run for every pair of the
 * transports that hand over, epoll and io_uring: a kernel socket belongs to neither, so an upgrade may also change
 * the transport.
 */
@ExtendWith(TransportLeakCheck.class)
@Timeout(60)
@ParameterizedClass(name = "{0} to {1}")
@MethodSource("transportPairs")
class SocketHandoverIT {

    private static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    private static final ServicePortName DNS = new ServicePortName("default", "dns", "dns", Protocol.UDP);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final int QUEUED_CONNECTIONS = 40;
    private static final int QUEUED_DATAGRAMS = 16;

    @TempDir
    Path tmp;

    private final Transport oldTransport;
    private final Transport newTransport;
    private final Closer resources = new Closer();
    private final CountDownLatch oldReleased = new CountDownLatch(1);
    private EventLoopGroup udpBackends;
    private Path socket;

    SocketHandoverIT(Transport oldTransport, Transport newTransport) {
        this.oldTransport = oldTransport;
        this.newTransport = newTransport;
    }

    static List<Arguments> transportPairs() {
        List<Arguments> pairs = new ArrayList<>();
        for (Transport from : List.of(Transport.EPOLL, Transport.IO_URING)) {
            for (Transport to : List.of(Transport.EPOLL, Transport.IO_URING)) {
                pairs.add(Arguments.of(from, to));
            }
        }
        return pairs;
    }

    @BeforeEach
    void setUp() {
        for (Transport transport : List.of(oldTransport, newTransport)) {
            assumeTrue(transport.isAvailable(), () -> transport + " unavailable: " + transport.unavailabilityCause());
        }
        udpBackends = Transport.EPOLL.newEventLoopGroup(1);
        socket = tmp.resolve("handover.sock");
    }

    @AfterEach
    void tearDown() throws Exception {
        resources.close();
        udpBackends.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private ListenerSet oldSet() {
        return listenerSet(oldTransport);
    }

    private ListenerSet newSet() {
        return listenerSet(newTransport);
    }

    private ListenerSet listenerSet(Transport transport) {
        return resources.add(new ListenerSet(new ListenerOptions(transport, 2, RelayOptions.DEFAULT, TIMEOUT),
                BalancerFactory.ROUND_ROBIN, new ProxyCounters()));
    }

    private Route tcpRoute(String backend) {
        return Route.of(WEB, FrontendKind.CLUSTER_IP, List.of(resources.add(new TcpEchoServer(backend)).endpoint()));
    }

    private Route udpRoute(String backend) throws InterruptedException {
        return Route.of(DNS, FrontendKind.CLUSTER_IP, List.of(resources.add(
                UdpEchoBackend.start(backend, udpBackends, Transport.EPOLL)).endpoint()))
                .withUdpIdleTimeout(Duration.ofSeconds(60));
    }

    /** The old agent's side: on take-over it stops accepting, as the agent does. */
    private HandoverServer serveHandover(ListenerSet old) throws IOException {
        return resources.add(HandoverServer.listen(socket, old, new HandoverServer.Retirement() {
            @Override
            public void onTakeOver() {
                old.stopAccepting();
            }

            @Override
            public void onReleased() {
                oldReleased.countDown();
            }
        }));
    }

    /**
     * Stops the sockets from accepting or reading. On their own loop: from another thread, epoll defers the change
     * until the socket has read once, and an idle listener has not.
     */
    private static void pause(List<Channel> listeners) throws InterruptedException {
        for (Channel listener : listeners) {
            listener.eventLoop().submit(() -> listener.config().setAutoRead(false)).sync();
        }
    }

    @Test
    void takeOver_connectionsAndDatagramsQueuedInThePausedOldSet_areAllServedByTheNewSet() throws Exception {
        ListenerKey tcp = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.7"));
        ListenerKey udp = ListenerKey.of(Protocol.UDP, TcpPorts.freeAddress("127.0.10.7"));
        ListenerSet old = oldSet();
        assertThat(old.apply(new RouteSnapshot(Map.of(tcp, tcpRoute("old"), udp, udpRoute("old")))).bound())
                .containsExactlyInAnyOrder(tcp, udp);
        serveHandover(old);
        pause(old.listeners(tcp));
        pause(old.listeners(udp));
        List<TcpTestClient> queued = new ArrayList<>();
        for (int i = 0; i < QUEUED_CONNECTIONS; i++) {
            queued.add(resources.add(TcpTestClient.connect(tcp.address())).writeLine("hello " + i));
        }
        List<UdpTestClient> senders = new ArrayList<>();
        for (int i = 0; i < QUEUED_DATAGRAMS; i++) {
            UdpTestClient client = resources.add(UdpTestClient.bind("127.0.0.1"));
            client.send(udp.address(), "q" + i);
            senders.add(client);
        }

        ListenerSet fresh = newSet();
        try (Handover handover = HandoverClient.receive(socket, TIMEOUT).orElseThrow()) {
            assertThat(handover.descriptors()).extracting(ListenerDescriptor::key)
                    .containsExactlyInAnyOrder(tcp, tcp, udp, udp);
            fresh.inherit(handover.descriptors());
            // The old set closes its descriptors now, with every queue full and nobody registered for them yet.
            handover.takeOver(TIMEOUT);
        }
        assertThat(oldReleased.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(old.boundKeys()).isEmpty();
        ApplyResult applied = fresh.apply(new RouteSnapshot(Map.of(tcp, tcpRoute("new"), udp, udpRoute("new"))));

        assertThat(applied.bound()).containsExactlyInAnyOrder(tcp, udp);
        assertThat(fresh.listeners(tcp)).hasSize(2);
        for (Channel listener : fresh.listeners(tcp)) {
            assertThat(listener.config().getOptions()).as("an adopted listener's options, as its binder set them")
                    .containsEntry(UnixChannelOption.SO_REUSEPORT, true);
        }
        for (int i = 0; i < QUEUED_CONNECTIONS; i++) {
            assertThat(queued.get(i).readLine()).as("connection %d, queued at the hand-over", i).isEqualTo("new");
            assertThat(queued.get(i).readLine()).isEqualTo("hello " + i);
        }
        for (int i = 0; i < QUEUED_DATAGRAMS; i++) {
            assertThat(senders.get(i).receive(TIMEOUT)).as("datagram %d, queued at the hand-over", i)
                    .map(UdpTestClient.Reply::text).hasValue("new:q" + i);
        }
    }

    @Test
    void takeOver_keysOnlyTheOldSetServes_closeWhileTheNewSetBindsWhatItLacks() throws Exception {
        ListenerKey both = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.8"));
        ListenerKey oldOnly = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.8"));
        ListenerKey newOnly = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.8"));
        ListenerSet old = oldSet();
        old.apply(new RouteSnapshot(Map.of(both, tcpRoute("old"), oldOnly, tcpRoute("old"))));
        serveHandover(old);

        ListenerSet fresh = newSet();
        try (Handover handover = HandoverClient.receive(socket, TIMEOUT).orElseThrow()) {
            fresh.inherit(handover.descriptors());
            assertThat(fresh.apply(new RouteSnapshot(Map.of(both, tcpRoute("new"), newOnly, tcpRoute("new"))))
                    .bound()).containsExactlyInAnyOrder(both, newOnly);
            handover.takeOver(TIMEOUT);
        }

        assertThat(TcpTestClient.connect(both.address()).readLine()).isEqualTo("new");
        assertThat(TcpTestClient.connect(newOnly.address()).readLine()).isEqualTo("new");
        assertThatThrownBy(() -> TcpTestClient.connect(oldOnly.address())).isInstanceOf(ConnectException.class);
    }

    @Test
    void receive_noSocketFile_isEmpty() throws Exception {
        assertThat(HandoverClient.receive(socket, TIMEOUT)).isEmpty();
    }

    @Test
    void receive_staleSocketFile_failsSoTheCallerBinds() throws IOException {
        Files.createFile(socket);

        assertThatThrownBy(() -> HandoverClient.receive(socket, TIMEOUT))
                .hasMessageContaining("cannot connect to " + socket);
    }

    @Test
    void receive_abandonedBeforeTakeOver_oldSetServesOn() throws Exception {
        ListenerKey tcp = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.9"));
        ListenerSet old = oldSet();
        old.apply(new RouteSnapshot(Map.of(tcp, tcpRoute("old"))));
        serveHandover(old);

        Handover handover = HandoverClient.receive(socket, TIMEOUT).orElseThrow();
        for (ListenerDescriptor d : handover.descriptors()) {
            new io.netty.channel.unix.FileDescriptor(d.fd()).close();
        }
        handover.close();

        assertThat(oldReleased.getCount()).isOne();
        for (int i = 0; i < 8; i++) {
            try (TcpTestClient client = TcpTestClient.connect(tcp.address())) {
                assertThat(client.readLine()).isEqualTo("old");
            }
        }
    }

    /**
     * What the hand-over prevents, shown the old way: a new set bound beside the paused old one (SO_REUSEPORT), then
     * the old one closes with connections in its accept queue; without {@code net.ipv4.tcp_migrate_req} some of them
     * are reset by the kernel.
     */
    @Test
    void stopAccepting_withoutHandover_resetsWhatWasQueuedInTheOldSet() throws Exception {
        AcceptQueueMigration.State migration = AcceptQueueMigration.read(AcceptQueueMigration.SYSCTL);
        assumeTrue(migration == AcceptQueueMigration.State.DISABLED
                || migration == AcceptQueueMigration.State.UNSUPPORTED, "tcp_migrate_req moves queued connections");
        ListenerKey tcp = ListenerKey.of(Protocol.TCP, TcpPorts.freeAddress("127.0.10.10"));
        ListenerSet old = oldSet();
        old.apply(new RouteSnapshot(Map.of(tcp, tcpRoute("old"))));
        ListenerSet fresh = newSet();
        fresh.apply(new RouteSnapshot(Map.of(tcp, tcpRoute("new"))));
        pause(old.listeners(tcp));
        pause(fresh.listeners(tcp));
        List<TcpTestClient> queued = new ArrayList<>();
        for (int i = 0; i < QUEUED_CONNECTIONS; i++) {
            queued.add(resources.add(TcpTestClient.connect(tcp.address())));
        }

        old.stopAccepting();
        for (Channel listener : fresh.listeners(tcp)) {
            listener.config().setAutoRead(true);
        }

        Map<String, Integer> outcomes = new HashMap<>();
        for (TcpTestClient client : queued) {
            String outcome;
            try {
                outcome = client.readLine() == null ? "closed" : "served";
            } catch (SocketException e) {
                outcome = "reset";
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        assertThat(outcomes).containsKey("reset");
    }
}
