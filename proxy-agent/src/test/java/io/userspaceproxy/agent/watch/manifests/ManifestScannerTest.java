package io.userspaceproxy.agent.watch.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.sync.ChangeTracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The periodic rescan on its own, with a fixed clock: what a scan without a watch event notices. */
class ManifestScannerTest {

    private static final ObjectRef ECHO = ObjectRef.of("demo", "echo");
    private static final Instant MTIME = Instant.parse("2024-01-01T00:00:00Z");

    @TempDir
    Path dir;

    private final ChangeTracker tracker = new ChangeTracker();
    private final LongAdder invalid = new LongAdder();

    private static String service(int port) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: echo, namespace: demo}\n"
                + "spec: {clusterIP: 127.0.10.1, ports: [{port: " + port + "}]}\n";
    }

    private ManifestScanner scanner(Instant now) {
        return new ManifestScanner(dir, new ManifestObjects(tracker), invalid, Clock.fixed(now, ZoneOffset.UTC));
    }

    private Path writeWithMtime(int port) throws IOException {
        Path file = Files.writeString(dir.resolve("echo.yaml"), service(port));
        return Files.setLastModifiedTime(file, FileTime.from(MTIME));
    }

    private int port() {
        return tracker.checkout().services().get(ECHO).ports().get(0).port();
    }

    @Test
    void scan_unforced_picksUpAFileWhoseStampChanged() throws IOException {
        writeWithMtime(8080);
        ManifestScanner scanner = scanner(MTIME.plusSeconds(60));
        scanner.scan(true);

        Files.writeString(dir.resolve("echo.yaml"), service(18080));
        scanner.scan(false);

        assertThat(port()).isEqualTo(18080);
    }

    @Test
    void scan_sameSizeAndTimestampWithinRacyWindow_rereadsTheFile() throws IOException {
        writeWithMtime(8080);
        ManifestScanner scanner = scanner(MTIME.plusSeconds(1));
        scanner.scan(true);

        writeWithMtime(9090);
        scanner.scan(false);

        assertThat(port()).isEqualTo(9090);
    }

    @Test
    void scan_namedByAWatchEvent_rereadsThatFileOnlyWhateverItsStamp() throws IOException {
        writeWithMtime(8080);
        ManifestScanner scanner = scanner(MTIME.plusSeconds(60));
        scanner.scan(true);

        writeWithMtime(9090); // same size, same timestamp, same inode: the stamp cannot tell
        scanner.scan(Set.of(Path.of("other.yaml")));
        assertThat(port()).as("not named, stamp unchanged: not read").isEqualTo(8080);
        scanner.scan(Set.of(Path.of("echo.yaml")));

        assertThat(port()).isEqualTo(9090);
    }

    @Test
    void scan_brokenFileSeenAgain_isCountedOnce() throws IOException {
        writeWithMtime(8080);
        ManifestScanner scanner = scanner(MTIME.plusSeconds(1));
        scanner.scan(true);

        writeWithMtime(0);
        scanner.scan(false);
        scanner.scan(true);
        scanner.scan(false);

        assertThat(invalid.sum()).isEqualTo(1);
        assertThat(port()).isEqualTo(8080);
    }

    @Test
    void scan_unknownLoadBalancer_servedAndWarnedOncePerVersion() throws IOException {
        Files.writeString(dir.resolve("echo.yaml"), "apiVersion: v1\nkind: Service\n"
                + "metadata: {name: echo, namespace: demo, annotations: {userspace-proxy.io/load-balancer: fastest}}\n"
                + "spec: {clusterIP: 127.0.10.1, ports: [{port: 8080}]}\n");
        AtomicInteger warnings = new AtomicInteger();
        ManifestScanner scanner = new ManifestScanner(dir, new ManifestObjects(tracker), invalid,
                new ManifestSource.Observer() {
                    @Override
                    public void onWarning() {
                        warnings.incrementAndGet();
                    }
                }, Clock.fixed(MTIME.plusSeconds(60), ZoneOffset.UTC));

        scanner.scan(true);
        scanner.scan(true);

        assertThat(port()).isEqualTo(8080);
        assertThat(warnings).hasValue(1);
        assertThat(invalid.sum()).isZero();
    }

    @Test
    void scan_oversizedFile_isRejectedOnceAndNotParsed() throws IOException {
        Path big = dir.resolve("big.yaml");
        Files.writeString(big, "# " + "x".repeat(ManifestScanner.MAX_FILE_BYTES) + "\n");
        Files.setLastModifiedTime(big, FileTime.from(MTIME));
        ManifestScanner scanner = scanner(MTIME.plusSeconds(1));

        scanner.scan(true);
        scanner.scan(true);

        assertThat(invalid.sum()).isEqualTo(1);
        assertThat(tracker.hasPending()).isFalse();
    }

    @Test
    void scan_directoryGone_throwsAndKeepsEveryObject() throws IOException {
        Path file = writeWithMtime(8080);
        ManifestScanner scanner = scanner(MTIME.plusSeconds(60));
        scanner.scan(true);

        Files.delete(file);
        Files.delete(dir);

        assertThatThrownBy(() -> scanner.scan(false)).isInstanceOf(NoSuchFileException.class);
        assertThat(port()).isEqualTo(8080);
    }
}
