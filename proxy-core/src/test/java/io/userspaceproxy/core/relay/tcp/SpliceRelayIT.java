package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.core.listen.Transport;
import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.testing.ProxyFixture;
import io.userspaceproxy.core.testing.TcpPayload;
import io.userspaceproxy.core.testing.TcpSinkServer;
import io.userspaceproxy.core.testing.TcpSourceServer;
import io.userspaceproxy.core.testing.TcpTestClient;
import io.userspaceproxy.core.testing.TcpTestServer;
import io.userspaceproxy.core.testing.TransportLeakCheck;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The splice relay on epoll ({@link IoUringSpliceRelayIT} runs the same on io_uring), end to end on loopback: each transfer is checked byte for byte (length and CRC32 of a
 * prime-period stream, so a lost, repeated or reordered chunk shows), and each test also asserts that the
 * connection really left the copy relay ({@code splicedConnections}), so none of them passes on the copy path alone.
 */
@ExtendWith(TransportLeakCheck.class)
class SpliceRelayIT {

    private static final ServicePortName BULK = new ServicePortName("default", "bulk", "data", Protocol.TCP);
    private static final long MiB = 1024 * 1024;
    /** Splice from the first read loop that moves anything: every connection here takes the splice path. */
    private static final RelayOptions SPLICE_AT_ONCE = RelayOptions.DEFAULT.withSpliceThresholdBytes(1);

    @RegisterExtension
    final ProxyFixture fixture = new ProxyFixture(transport());

    /** The transport every channel of these tests uses; a constant, as the fixture reads it while constructed. */
    Transport transport() {
        return Transport.EPOLL;
    }

    private InetSocketAddress serve(RelayOptions options, TcpTestServer backend) {
        fixture.add(backend);
        fixture.start(options);
        return fixture.serve("127.0.10.1", Route.of(BULK, FrontendKind.CLUSTER_IP, List.of(backend.endpoint())))
                .address();
    }

    private ServicePortCounters bulk() {
        return fixture.counters().forServicePort(BULK);
    }

    private void awaitClosed(CloseReason reason, long count) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(bulk().closes(reason)).isEqualTo(count);
            assertThat(bulk().connectionsActive()).isZero();
        });
    }

    /**
     * The case Netty's own spliceTo loses bytes in: the backend sends 32 MiB and closes at once, so its FIN waits
     * behind a full pipe while the client reads slowly. The FIN may only pass once the pipe and the socket behind
     * it are empty.
     */
    @RepeatedTest(6)
    @Timeout(60)
    void slowReader_backendSends32MiBAndCloses_everyByteArrivesBeforeTheFin() throws Exception {
        long length = 32 * MiB;
        InetSocketAddress vip = serve(RelayOptions.DEFAULT, new TcpSourceServer(length));

        try (TcpTestClient client = TcpTestClient.connect(vip, null, 4 * 1024)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> bulk().bytesToFrontend() > 0);
            // Nothing is read for a moment: the backend's FIN arrives while the proxy still holds a full pipe, and
            // the proxy takes no more than its pipe and the kernel's buffers hold.
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .until(() -> bulk().bytesToFrontend() < 16 * MiB);
            assertThat(readSlowly(client.input())).isEqualTo(TcpPayload.expected(length));
        }
        assertThat(bulk().splicedConnections()).isEqualTo(1);
        assertThat(bulk().bytesToFrontend()).isEqualTo(length);
        awaitClosed(CloseReason.COMPLETED, 1);
    }

    @Test
    @Timeout(60)
    void upload_clientSends64MiBAndShutsOutput_backendGetsAllThenItsReplyStillArrives() throws IOException {
        long length = 64 * MiB;
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new TcpSinkServer());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            TcpPayload.write(client.output(), length);
            client.shutdownOutput();
            // The sink answers with what it received once it sees the FIN: half-close, spliced, in both directions.
            assertThat(TcpPayload.Summary.readFrom(client.input())).isEqualTo(TcpPayload.expected(length));
            assertThat(client.read()).isEqualTo(-1);
        }
        assertThat(bulk().splicedConnections()).isEqualTo(1);
        assertThat(bulk().bytesToBackend()).isEqualTo(length);
        awaitClosed(CloseReason.COMPLETED, 1);
    }

    @Test
    @Timeout(60)
    void echo_bothDirectionsBulkAtOnce_eachArrivesIntactAndHalfCloseCarriesThrough() throws Exception {
        long length = 48 * MiB;
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new BulkEchoServer());
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            Future<?> sent = writer.submit(() -> {
                TcpPayload.write(client.output(), length);
                client.shutdownOutput();
                return null;
            });
            assertThat(TcpPayload.readToEnd(client.input())).isEqualTo(TcpPayload.expected(length));
            sent.get(10, TimeUnit.SECONDS);
        } finally {
            writer.shutdownNow();
        }
        assertThat(bulk().splicedConnections()).isEqualTo(1);
        assertThat(bulk().bytesToBackend()).isEqualTo(length);
        assertThat(bulk().bytesToFrontend()).isEqualTo(length);
        awaitClosed(CloseReason.COMPLETED, 1);
    }

    /**
     * Echo connections that switch to splice mid-stream, with both directions busy: Netty often has a read of the
     * other direction under way when it lets go (on io_uring, a receive still in the ring), and that read's bytes
     * must go out before anything the relay splices from the same socket after it. A chunk sent out of order changes
     * the stream's CRC.
     */
    @Test
    @Timeout(120)
    void echo_manyConnectionsSwitchMidStream_everyStreamIntactBothWays() throws Exception {
        long length = 4 * MiB;
        int clients = 24;
        InetSocketAddress vip = serve(RelayOptions.DEFAULT, new BulkEchoServer());
        ExecutorService pool = Executors.newFixedThreadPool(2 * clients);
        try {
            List<Future<TcpPayload.Summary>> echoes = new ArrayList<>();
            List<TcpTestClient> connections = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                TcpTestClient client = TcpTestClient.connect(vip);
                connections.add(client);
                pool.submit(() -> {
                    TcpPayload.write(client.output(), length);
                    client.shutdownOutput();
                    return null;
                });
                echoes.add(pool.submit(() -> TcpPayload.readToEnd(client.input())));
            }
            for (Future<TcpPayload.Summary> echo : echoes) {
                assertThat(echo.get(60, TimeUnit.SECONDS)).isEqualTo(TcpPayload.expected(length));
            }
            for (TcpTestClient client : connections) {
                client.close();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(bulk().splicedConnections()).isEqualTo(clients);
        awaitClosed(CloseReason.COMPLETED, clients);
    }

    @Test
    @Timeout(60)
    void parallel_eightDownloads_eachIntactOnItsOwnPipes() throws Exception {
        long length = 8 * MiB;
        int clients = 8;
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new TcpSourceServer(length));
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<TcpPayload.Summary>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                results.add(pool.submit(() -> {
                    try (TcpTestClient client = TcpTestClient.connect(vip)) {
                        return TcpPayload.readToEnd(client.input());
                    }
                }));
            }
            for (Future<TcpPayload.Summary> result : results) {
                assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(TcpPayload.expected(length));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(bulk().splicedConnections()).isEqualTo(clients);
        awaitClosed(CloseReason.COMPLETED, clients);
    }

    @Test
    @Timeout(60)
    void pipes_comeBackToThePool_fileDescriptorsDoNotGrowWithConnections() throws Exception {
        long length = 2 * MiB;
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new TcpSourceServer(length));
        downloadInTurn(vip, length, 20);
        awaitClosed(CloseReason.COMPLETED, 20);
        long warm = openFileDescriptors();

        downloadInTurn(vip, length, 100);

        awaitClosed(CloseReason.COMPLETED, 120);
        assertThat(bulk().splicedConnections()).isEqualTo(120);
        // Every connection took two pipes (four descriptors); had they not been closed or reused, 400 more.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(
                () -> assertThat(openFileDescriptors()).isLessThanOrEqualTo(warm + 8));
    }

    private static void downloadInTurn(InetSocketAddress vip, long length, int connections) throws IOException {
        for (int i = 0; i < connections; i++) {
            try (TcpTestClient client = TcpTestClient.connect(vip)) {
                assertThat(TcpPayload.readToEnd(client.input())).isEqualTo(TcpPayload.expected(length));
            }
        }
    }

    private static long openFileDescriptors() throws IOException {
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    @Timeout(30)
    void backendReset_midTransfer_connectionEndsAsBackendErrorAndTheClientIsNotLeftHanging() throws Exception {
        CountDownLatch reset = new CountDownLatch(1);
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new ResettingServer(4 * MiB, reset));

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            InputStream in = client.input();
            assertThat(in.readNBytes((int) MiB)).hasSize((int) MiB);
            // The reset must hit a spliced connection, not one still on the copy relay.
            await().atMost(Duration.ofSeconds(5)).until(() -> bulk().splicedConnections() == 1);
            reset.countDown();
            long received = MiB;
            byte[] buffer = new byte[64 * 1024];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    received += n;
                }
            } catch (IOException expected) {
                // A reset passed on, or the proxy's close: either way the client learns the stream is over.
            }
            assertThat(received).isLessThanOrEqualTo(4 * MiB);
        }
        awaitClosed(CloseReason.BACKEND_ERROR, 1);
    }

    @Test
    @Timeout(30)
    void clientReset_midDownload_connectionEndsAsFrontendError() throws Exception {
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new TcpSourceServer(1024 * MiB));

        Socket client = new Socket();
        client.connect(vip, 5_000);
        InputStream in = client.getInputStream();
        assertThat(in.readNBytes(2 * 1024 * 1024)).hasSize(2 * 1024 * 1024);
        client.setSoLinger(true, 0);
        client.close();

        awaitClosed(CloseReason.FRONTEND_ERROR, 1);
        assertThat(bulk().splicedConnections()).isEqualTo(1);
    }

    @Test
    @Timeout(30)
    void idle_splicedConnectionThatGoesQuiet_isClosedByTheIdleTimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        InetSocketAddress vip = serve(SPLICE_AT_ONCE.withTcpIdleTimeout(Duration.ofMillis(500)),
                new SendThenHoldServer(MiB, release));
        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            assertThat(client.input().readNBytes((int) MiB)).hasSize((int) MiB);
            assertThat(client.read()).isEqualTo(-1);
        } finally {
            release.countDown();
        }
        assertThat(bulk().splicedConnections()).isEqualTo(1);
        awaitClosed(CloseReason.IDLE_TIMEOUT, 1);
    }

    @Test
    @Timeout(30)
    void close_listenerSetClosedWhileSpliced_connectionEndsAsShutdown() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        InetSocketAddress vip = serve(SPLICE_AT_ONCE, new SendThenHoldServer(MiB, release));
        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            assertThat(client.input().readNBytes((int) MiB)).hasSize((int) MiB);
            await().atMost(Duration.ofSeconds(5)).until(() -> bulk().splicedConnections() == 1);

            fixture.proxy().close();

            assertThat(bulk().closes(CloseReason.SHUTDOWN)).isEqualTo(1);
            assertThat(bulk().connectionsActive()).isZero();
        } finally {
            release.countDown();
        }
    }

    /**
     * The copy relay on epoll, with a slow reader: the backend's FIN arrives while most of the stream still waits in
     * the proxy, and the frontend's output is shut on the socket itself only once that flush has completed.
     */
    @Test
    @Timeout(60)
    void threshold_zero_keepsBulkOnTheCopyRelay_finPassedAfterTheQueuedTail() throws IOException {
        long length = 32 * MiB;
        InetSocketAddress vip = serve(RelayOptions.DEFAULT.withSpliceThresholdBytes(0), new TcpSourceServer(length));

        try (TcpTestClient client = TcpTestClient.connect(vip, null, 4 * 1024)) {
            assertThat(readSlowly(client.input())).isEqualTo(TcpPayload.expected(length));
        }
        assertThat(bulk().splicedConnections()).isZero();
        assertThat(bulk().bytesToFrontend()).isEqualTo(length);
        awaitClosed(CloseReason.COMPLETED, 1);
    }

    /**
     * The copy relay on epoll reads the whole stream and its FIN while the client reads nothing (water marks above
     * the stream's size), so most of it is still queued towards the client when the FIN arrives: the frontend's
     * output may only be shut once that queue is flushed.
     */
    @Test
    @Timeout(30)
    void copyRelay_finReadWhileTheStreamIsStillQueued_passedOnOnlyAfterIt() throws IOException {
        int length = 4 * (int) MiB;
        RelayOptions copyOnly = RelayOptions.DEFAULT.withSpliceThresholdBytes(0)
                .withWriteBufferWaterMarks(2 * length, 4 * length);
        InetSocketAddress vip = serve(copyOnly, new TcpSourceServer(length));

        try (TcpTestClient client = TcpTestClient.connect(vip, null, 4 * 1024)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> bulk().bytesToFrontend() == length);
            assertThat(TcpPayload.readToEnd(client.input())).isEqualTo(TcpPayload.expected(length));
        }
        awaitClosed(CloseReason.COMPLETED, 1);
    }

    @Test
    @Timeout(30)
    void threshold_default_keepsSmallExchangesOnTheCopyRelay() throws IOException {
        InetSocketAddress vip = serve(RelayOptions.DEFAULT, new BulkEchoServer());

        try (TcpTestClient client = TcpTestClient.connect(vip)) {
            for (int i = 0; i < 50; i++) {
                assertThat(client.writeLine("request " + i).readLine()).isEqualTo("request " + i);
            }
        }
        assertThat(bulk().splicedConnections()).isZero();
    }

    /** Reads to the end in 16 KiB steps with a pause every MiB, like a client slower than the backend. */
    private static TcpPayload.Summary readSlowly(InputStream in) throws IOException {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        byte[] buffer = new byte[16 * 1024];
        long length = 0;
        long nextPause = MiB;
        int n;
        while ((n = in.read(buffer)) >= 0) {
            crc.update(buffer, 0, n);
            length += n;
            if (length >= nextPause) {
                nextPause += MiB;
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // the reader's own pace, not a wait
            }
        }
        return new TcpPayload.Summary(length, crc.getValue());
    }

    /** Echoes every byte back as it comes and passes the client's FIN back once everything is echoed. */
    private static final class BulkEchoServer extends TcpTestServer {
        @Override
        protected void serve(Socket socket) throws IOException {
            socket.getInputStream().transferTo(socket.getOutputStream());
            socket.shutdownOutput();
        }
    }

    /** Sends a payload, then, once released, resets the connection (SO_LINGER 0) instead of closing it. */
    private static final class ResettingServer extends TcpTestServer {
        private final long length;
        private final CountDownLatch reset;

        ResettingServer(long length, CountDownLatch reset) {
            this.length = length;
            this.reset = reset;
        }

        @Override
        protected void serve(Socket socket) throws IOException {
            OutputStream out = socket.getOutputStream();
            TcpPayload.write(out, length);
            out.flush();
            try {
                reset.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            socket.setSoLinger(true, 0);
        }
    }

    /** Sends a payload and then holds the connection open, silent, until released. */
    private static final class SendThenHoldServer extends TcpTestServer {
        private final long length;
        private final CountDownLatch release;

        SendThenHoldServer(long length, CountDownLatch release) {
            this.length = length;
            this.release = release;
        }

        @Override
        protected void serve(Socket socket) throws IOException {
            TcpPayload.write(socket.getOutputStream(), length);
            socket.getOutputStream().flush();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
