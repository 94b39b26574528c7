package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link ReadValve} on embedded channels, where the test decides when the client reads: while direct memory is
 * short, a read whose bytes wait for a client that is not reading stops the backend's reads until they are written,
 * well below the write-buffer water mark; with memory to spare the water mark alone decides, as before.
 */
@ExtendWith(TransportLeakCheck.class)
class ReadValveTest {

    private static final long LIMIT = 1_000;

    private final AtomicLong used = new AtomicLong();
    private final DirectMemoryGuard guard = DirectMemoryGuard.of(used::get, () -> LIMIT, 0.9);
    private DuplexEmbeddedChannel frontend;
    private DuplexEmbeddedChannel backend;
    private TcpConnection connection;

    @BeforeEach
    void setUp() throws Exception {
        frontend = new DuplexEmbeddedChannel(new InetSocketAddress("127.0.0.1", 40000));
        frontend.register();
        backend = new DuplexEmbeddedChannel(new InetSocketAddress("127.0.0.1", 8080));
        backend.register();
        connection = new TcpConnection(frontend, new ServicePortCounters(), 0);
        backend.pipeline().addLast(new TcpBackendHandler(connection, guard));
        connection.onBackendConnected(backend);
        frontend.holdWrites(); // the client stops reading
    }

    @AfterEach
    void tearDown() {
        frontend.finishAndReleaseAll();
        backend.finishAndReleaseAll();
    }

    @Test
    void memoryShort_bytesWaitingForTheClient_backendStopsReadingUntilTheyAreWritten() {
        used.set(950);

        backend.writeInbound(text("first"));

        assertThat(backend.config().isAutoRead()).as("a few bytes waiting, far below the water mark").isFalse();
        frontend.releaseWrites();
        assertThat(backend.config().isAutoRead()).as("every byte written: reading again").isTrue();
        assertThat(readAll(frontend)).isEqualTo("first");
        assertThat(connection.isClosed()).isFalse();
    }

    @Test
    void memoryToSpare_bytesWaitingBelowTheWaterMark_backendKeepsReading() {
        used.set(100);

        backend.writeInbound(text("first"));

        assertThat(backend.config().isAutoRead()).isTrue();
        frontend.releaseWrites();
        assertThat(readAll(frontend)).isEqualTo("first");
    }

    @Test
    void memoryShort_clientTakesEverything_backendKeepsReading() {
        used.set(950);
        frontend.releaseWrites();

        backend.writeInbound(text("first"));

        assertThat(backend.config().isAutoRead()).as("nothing waits, so nothing is held").isTrue();
        assertThat(readAll(frontend)).isEqualTo("first");
    }

    @Test
    void memoryShort_connectionClosedWhilePaused_staysClosed() {
        used.set(950);
        backend.writeInbound(text("first"));

        connection.close(CloseReason.COMPLETED);

        assertThat(backend.config().isAutoRead()).as("the valve's resume found the connection closed").isFalse();
        assertThat(backend.isOpen()).isFalse();
        assertThatThrownBy(frontend::checkException).as("the bytes still queued for the client went with it")
                .isInstanceOf(ClosedChannelException.class);
    }

    private static ByteBuf text(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** Everything the channel wrote, as text; the valve's empty marker write adds nothing. */
    private static String readAll(DuplexEmbeddedChannel channel) {
        StringBuilder out = new StringBuilder();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            out.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        return out.toString();
    }
}
