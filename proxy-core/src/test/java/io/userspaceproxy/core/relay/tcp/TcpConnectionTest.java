package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The per-connection state machine on embedded channels, where the test decides when bytes drain: half-close
 * ordering, reads held until the backend connects, the idle timer, backpressure and one close reason per connection.
 */
@ExtendWith(TransportLeakCheck.class)
class TcpConnectionTest {

    private static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.1", 40000);
    private static final InetSocketAddress ENDPOINT = new InetSocketAddress("127.0.0.1", 8080);
    private static final long IDLE = Duration.ofSeconds(1).toNanos();

    private final ServicePortCounters counters = new ServicePortCounters();
    private final List<ByteBuf> buffers = new ArrayList<>();
    private DuplexEmbeddedChannel frontend;
    private DuplexEmbeddedChannel backend;

    @BeforeEach
    void setUp() throws Exception {
        frontend = new DuplexEmbeddedChannel(CLIENT);
        frontend.register();
        frontend.config().setAutoRead(false);
        backend = new DuplexEmbeddedChannel(ENDPOINT);
        backend.register();
    }

    @AfterEach
    void tearDown() {
        frontend.finishAndReleaseAll();
        backend.finishAndReleaseAll();
        for (ByteBuf buf : buffers) {
            assertThat(buf.refCnt()).as("every buffer forwarded or released").isZero();
        }
    }

    private ByteBuf bytes(String text) {
        ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        buffers.add(buf);
        return buf;
    }

    private TcpConnection connected(long idleTimeoutNanos) {
        TcpConnection connection = new TcpConnection(frontend, counters, idleTimeoutNanos);
        backend.pipeline().addLast(new TcpBackendHandler(connection, DirectMemoryGuard.unlimited()));
        connection.onBackendConnected(backend);
        return connection;
    }

    private static String readText(DuplexEmbeddedChannel channel) {
        ByteBuf buf = channel.readOutbound();
        try {
            return buf.toString(StandardCharsets.US_ASCII);
        } finally {
            buf.release();
        }
    }

    @Test
    void backendInputShutdown_frontendNotReading_passesFinOnOnlyAfterQueuedBytesDrain() {
        TcpConnection connection = connected(0);
        frontend.holdWrites();
        backend.writeInbound(bytes("the tail"));

        backend.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);

        assertThat(frontend.isOpen()).isTrue();
        assertThat(frontend.isOutputShutdown()).isFalse();
        frontend.releaseWrites();
        assertThat(readText(frontend)).isEqualTo("the tail");
        assertThat(frontend.isOutputShutdown()).isTrue();
        assertThat(connection.isClosed()).as("the client may still send").isFalse();
        assertThat(counters.bytesToFrontend()).isEqualTo("the tail".length());
    }

    @Test
    void bothInputsShutDown_closesBothAsCompletedOnce() {
        TcpConnection connection = connected(0);

        connection.relay().onBackendInputShutdown();
        connection.relay().onFrontendInputShutdown();

        assertThat(frontend.isOutputShutdown()).isTrue();
        assertThat(backend.isOutputShutdown()).as("the last FIN goes with the close, no shutdown first").isFalse();
        assertThat(frontend.isOpen()).isFalse();
        assertThat(backend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.COMPLETED)).isEqualTo(1);
        assertThat(counters.connectionsOpened()).isEqualTo(1);
        assertThat(counters.connectionsActive()).isZero();
    }

    @Test
    void frontendReadsAndFin_beforeBackendConnects_areForwardedInOrderOnceItDoes() {
        TcpConnection connection = new TcpConnection(frontend, counters, 0);
        connection.holdUntilConnected(bytes("GET "));
        connection.holdUntilConnected(bytes("/"));
        connection.relay().onFrontendInputShutdown();

        connection.onBackendConnected(backend);

        assertThat(readText(backend)).isEqualTo("GET ");
        assertThat(readText(backend)).isEqualTo("/");
        assertThat(backend.isOutputShutdown()).isTrue();
        assertThat(counters.bytesToBackend()).isEqualTo(5);
        assertThat(frontend.config().isAutoRead()).as("nothing more to read from the client").isFalse();
    }

    @Test
    void heldReadsAboveHighWaterMark_backendNotDraining_frontendStaysUnreadUntilItDrains() {
        TcpConnection connection = new TcpConnection(frontend, counters, 0);
        backend.pipeline().addLast(new TcpBackendHandler(connection, DirectMemoryGuard.unlimited()));
        backend.holdWrites();
        int size = backend.config().getWriteBufferHighWaterMark() + 1;
        connection.holdUntilConnected(bytes("x".repeat(size)));

        connection.onBackendConnected(backend);
        assertThat(frontend.config().isAutoRead()).isFalse();

        backend.releaseWrites();
        assertThat(frontend.config().isAutoRead()).isTrue();
        assertThat(readText(backend)).hasSize(size);
    }

    @Test
    void close_beforeBackendConnects_releasesHeldReadsAndCountsARejection() {
        TcpConnection connection = new TcpConnection(frontend, counters, 0);
        ByteBuf held = bytes("early");
        connection.holdUntilConnected(held);

        connection.close(CloseReason.FRONTEND_ERROR);

        assertThat(held.refCnt()).isZero();
        assertThat(counters.closes(CloseReason.FRONTEND_ERROR)).isEqualTo(1);
        assertThat(counters.connectionsOpened()).isZero();
        assertThat(counters.connectionsActive()).isZero();
    }

    @Test
    void close_calledForSeveralReasons_recordsOnlyTheFirst() {
        TcpConnection connection = connected(0);

        connection.close(CloseReason.BACKEND_ERROR);
        connection.close(CloseReason.IDLE_TIMEOUT);
        connection.relay().onFrontendInactive();

        assertThat(counters.closes(CloseReason.BACKEND_ERROR)).isEqualTo(1);
        assertThat(counters.closes(CloseReason.IDLE_TIMEOUT)).isZero();
        assertThat(counters.closes(CloseReason.FRONTEND_ERROR)).isZero();
        assertThat(counters.connectionsActive()).isZero();
    }

    @Test
    void lastDirection_sinkStillHasQueuedBytes_closesOnlyOnceTheyDrain() {
        TcpConnection connection = connected(0);
        connection.relay().onBackendInputShutdown();
        backend.holdWrites();
        backend.write(bytes("the last request"));

        connection.relay().onFrontendInputShutdown();

        assertThat(backend.isOpen()).as("closing now would drop the queued bytes").isTrue();
        backend.releaseWrites();
        assertThat(readText(backend)).isEqualTo("the last request");
        assertThat(backend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.COMPLETED)).isEqualTo(1);
    }

    @Test
    void firstDirectionDone_lastSourceStopsAllowingHalfClosure_soItsEofClosesItInsteadOfShuttingInput() {
        connected(0);
        frontend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        backend.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);

        backend.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);

        assertThat(frontend.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE)).isFalse();
        assertThat(backend.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE)).isTrue();
    }

    @Test
    void frontendCloses_afterTheBackendsFinWasPassedOn_isTheClientsEofAndCompletes() {
        TcpConnection connection = connected(0);
        connection.relay().onBackendInputShutdown();
        backend.holdWrites();
        backend.write(bytes("sent before the client's FIN"));

        // With half-closure off on its last open input, Netty closes the frontend at its EOF.
        frontend.close();
        connection.relay().onFrontendInactive();

        assertThat(backend.isOpen()).isTrue();
        backend.releaseWrites();
        assertThat(readText(backend)).isEqualTo("sent before the client's FIN");
        assertThat(backend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.COMPLETED)).isEqualTo(1);
        assertThat(counters.closes(CloseReason.FRONTEND_ERROR)).isZero();
    }

    @Test
    void frontendCloses_whileBothDirectionsAreOpen_isAFrontendError() {
        TcpConnection connection = connected(0);

        frontend.close();
        connection.relay().onFrontendInactive();

        assertThat(backend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.FRONTEND_ERROR)).isEqualTo(1);
    }

    @Test
    void backendCloses_afterTheClientsFinWasPassedOn_isTheBackendsEofAndCompletes() {
        TcpConnection connection = connected(0);
        connection.relay().onFrontendInputShutdown();

        backend.close();
        connection.relay().onBackendInactive();

        assertThat(frontend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.COMPLETED)).isEqualTo(1);
        assertThat(counters.closes(CloseReason.BACKEND_ERROR)).isZero();
    }

    @Test
    void idle_noReadForTheTimeout_closesBoth() {
        frontend.freezeTime(); // only advanceTimeBy moves the timer's clock, however slow this thread is
        TcpConnection connection = connected(IDLE);
        connection.startIdleTimer(new ConnectionTimer(frontend.eventLoop(), IDLE));

        frontend.advanceTimeBy(IDLE - 1_000_000, TimeUnit.NANOSECONDS);
        frontend.runScheduledPendingTasks();
        assertThat(frontend.isOpen()).isTrue();

        frontend.advanceTimeBy(1_000_000, TimeUnit.NANOSECONDS);
        frontend.runScheduledPendingTasks();

        assertThat(frontend.isOpen()).isFalse();
        assertThat(backend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void idle_readOnEitherSide_postponesTheClose() {
        frontend.freezeTime(); // only advanceTimeBy moves the timer's clock, however slow this thread is
        TcpConnection connection = connected(IDLE);
        connection.startIdleTimer(new ConnectionTimer(frontend.eventLoop(), IDLE));
        frontend.advanceTimeBy(IDLE / 2, TimeUnit.NANOSECONDS);
        backend.writeInbound(bytes("keepalive"));
        assertThat(readText(frontend)).isEqualTo("keepalive");

        frontend.advanceTimeBy(IDLE / 2, TimeUnit.NANOSECONDS);
        frontend.runScheduledPendingTasks();
        assertThat(frontend.isOpen()).as("only half the timeout since the last read").isTrue();

        frontend.advanceTimeBy(IDLE / 2, TimeUnit.NANOSECONDS);
        frontend.runScheduledPendingTasks();
        assertThat(frontend.isOpen()).isFalse();
        assertThat(counters.closes(CloseReason.IDLE_TIMEOUT)).isEqualTo(1);
    }

    @Test
    void backendWritability_crossesWaterMarks_togglesReadingTheFrontend() {
        TcpConnection connection = connected(0);
        assertThat(frontend.config().isAutoRead()).isTrue();
        backend.holdWrites();

        backend.writeAndFlush(bytes("x".repeat(backend.config().getWriteBufferHighWaterMark() + 1)));
        assertThat(frontend.config().isAutoRead()).isFalse();

        backend.releaseWrites();
        assertThat(frontend.config().isAutoRead()).isTrue();
        assertThat(readText(backend)).hasSize(backend.config().getWriteBufferHighWaterMark() + 1);
        assertThat(connection.isClosed()).isFalse();
    }

    @Test
    void backendWritable_afterFrontendInputShutdown_leavesFrontendReadingOff() {
        TcpConnection connection = connected(0);
        connection.relay().onFrontendInputShutdown();
        frontend.config().setAutoRead(false);

        connection.relay().onBackendWritabilityChanged(true);

        assertThat(frontend.config().isAutoRead()).isFalse();
    }
}
