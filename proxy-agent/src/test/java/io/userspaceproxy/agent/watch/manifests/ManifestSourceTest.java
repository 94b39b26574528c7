package io.userspaceproxy.agent.watch.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.sync.ChangeTracker;
import io.userspaceproxy.agent.sync.ClusterState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ManifestSourceTest {

    private static final Duration WITHIN = Duration.ofSeconds(3);
    private static final ObjectRef ECHO = ObjectRef.of("demo", "echo");
    private static final ObjectRef HELLO = ObjectRef.of("demo", "hello");

    @TempDir
    Path dir;

    private final ChangeTracker tracker = new ChangeTracker();
    private ManifestSource source;

    @AfterEach
    void close() {
        if (source != null) {
            source.close();
        }
    }

    private static String service(String name, String clusterIP, int port) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: demo}\n"
                + "spec:\n  clusterIP: " + clusterIP + "\n  ports: [{name: http, port: " + port + "}]\n";
    }

    private static String slice(String name, String service, String ip) {
        return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + name
                + ", namespace: demo, labels: {kubernetes.io/service-name: " + service + "}}\n"
                + "addressType: IPv4\nports: [{name: http, port: 18081}]\nendpoints: [{addresses: [" + ip + "]}]\n";
    }

    private Path write(String file, String... documents) throws IOException {
        return Files.writeString(dir.resolve(file), String.join("---\n", documents));
    }

    /** Writes the way editors and kubectl-like tools do: a temporary file renamed over the old one. */
    private void replace(String file, String... documents) throws IOException {
        Path tmp = Files.writeString(dir.resolve("." + file + ".tmp"), String.join("---\n", documents));
        Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Map<ObjectRef, ServiceInfo> services() {
        return tracker.checkout().services();
    }

    private int portOf(ObjectRef ref) {
        return services().get(ref).ports().get(0).port();
    }

    @Test
    void start_existingManifests_areLoadedBeforeItReturns() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080), slice("echo-1", "echo", "127.0.0.1"));
        write("hello.yml", service("hello", "127.0.10.2", 80));
        write("notes.md", "not a manifest: ignored");
        write(".hidden.yaml", "not: [valid");

        source = ManifestSource.start(dir, tracker);

        ClusterState state = tracker.checkout();
        assertThat(state.services()).containsOnlyKeys(ECHO, HELLO);
        assertThat(state.slicesOf(ECHO)).hasSize(1);
        assertThat(source.invalidManifests()).isZero();
    }

    @Test
    void edit_inPlace_isAppliedWithinASecondOrSo() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker);

        write("echo.yaml", service("echo", "127.0.10.1", 9090));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(9090));
    }

    @Test
    void edit_byRenameOverTheFile_isApplied() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker);

        replace("echo.yaml", service("echo", "127.0.10.1", 9191));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(9191));
    }

    @Test
    void add_newFile_addsItsObjects() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker);

        write("hello.json", "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"hello\","
                + " \"namespace\": \"demo\"}, \"spec\": {\"clusterIP\": \"127.0.10.2\", \"ports\": [{\"port\": 80}]}}");

        await().atMost(WITHIN).untilAsserted(() -> assertThat(services()).containsOnlyKeys(ECHO, HELLO));
    }

    @Test
    void delete_file_removesItsServicesAndSlicesOnly() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080), slice("echo-1", "echo", "127.0.0.1"));
        write("hello.yaml", service("hello", "127.0.10.2", 80));
        source = ManifestSource.start(dir, tracker);

        Files.delete(dir.resolve("echo.yaml"));

        await().atMost(WITHIN).untilAsserted(() -> {
            ClusterState state = tracker.checkout();
            assertThat(state.services()).containsOnlyKeys(HELLO);
            assertThat(state.slicesByService()).isEmpty();
        });
    }

    @Test
    void brokenEdit_keepsLastGoodStateAndIsCountedOnce_whileOtherFilesStillApply() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        write("hello.yaml", service("hello", "127.0.10.2", 80));
        source = ManifestSource.start(dir, tracker, Duration.ofMillis(100));

        write("echo.yaml", service("echo", "127.0.10.1", 70000));
        await().atMost(WITHIN).until(source::invalidManifests, n -> n == 1);
        write("hello.yaml", service("hello", "127.0.10.2", 81));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(HELLO)).isEqualTo(81));
        write("hello.yaml", service("hello", "127.0.10.2", 82));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(HELLO)).isEqualTo(82));

        assertThat(portOf(ECHO)).as("last good state kept").isEqualTo(8080);
        assertThat(source.invalidManifests()).as("reported once, not once per rescan").isEqualTo(1);

        write("echo.yaml", service("echo", "127.0.10.1", 8181));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(8181));
    }

    @Test
    void brokenNewFile_isCountedAndDefinesNothing() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker);

        write("bad.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: [\n");

        await().atMost(WITHIN).until(source::invalidManifests, n -> n == 1);
        assertThat(services()).containsOnlyKeys(ECHO);
    }

    @Test
    void configMapVolume_symlinkSwap_isApplied() throws IOException {
        Path v1 = Files.createDirectory(dir.resolve("..2024_01_01_00_00_00.1"));
        Files.writeString(v1.resolve("echo.yaml"), service("echo", "127.0.10.1", 8080));
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Files.createSymbolicLink(dir.resolve("echo.yaml"), Path.of("..data", "echo.yaml"));
        source = ManifestSource.start(dir, tracker);
        assertThat(portOf(ECHO)).isEqualTo(8080);

        Path v2 = Files.createDirectory(dir.resolve("..2024_01_01_00_00_01.2"));
        Files.writeString(v2.resolve("echo.yaml"), service("echo", "127.0.10.1", 8282));
        Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(dir.resolve("..data_tmp"), dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);

        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(8282));
    }

    @Test
    void edit_ofSymlinkTargetOutsideTheDirectory_isFoundByThePeriodicRescan(@TempDir Path elsewhere)
            throws IOException {
        Path target = Files.writeString(elsewhere.resolve("echo.yaml"), service("echo", "127.0.10.1", 8080));
        Files.createSymbolicLink(dir.resolve("echo.yaml"), target);
        source = ManifestSource.start(dir, tracker);

        Files.writeString(target, service("echo", "127.0.10.1", 8383));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(8383));
    }

    @Test
    void sameObjectInTwoFiles_lastChangedWins_andTheOtherTakesOverWhenItGoes() throws IOException {
        write("a.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker);

        write("b.yaml", service("echo", "127.0.10.1", 9090));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(9090));

        Files.delete(dir.resolve("b.yaml"));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(8080));
    }

    @Test
    void start_missingDirectory_throws() {
        assertThatThrownBy(() -> ManifestSource.start(dir.resolve("absent"), tracker))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("absent");
    }

    @Test
    void hostileFiles_eachRejectedOnItsOwn_andEditsOfTheGoodFileStillApply() throws IOException {
        Map<String, String> hostile = HostileManifests.corpus();
        hostile.forEach((name, text) -> {
            try {
                write(name + ".yaml", text);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Files.createSymbolicLink(dir.resolve("loop-a.yaml"), dir.resolve("loop-b.yaml"));
        Files.createSymbolicLink(dir.resolve("loop-b.yaml"), dir.resolve("loop-a.yaml"));
        write("zz-good.yaml", service("echo", "127.0.10.1", 8080));
        AtomicInteger reported = new AtomicInteger();

        source = ManifestSource.start(dir, tracker, Duration.ofMillis(100), new ManifestSource.Observer() {
            @Override
            public void onInvalid() {
                reported.incrementAndGet();
            }
        });

        int bad = hostile.size() + 2;
        assertThat(services()).containsOnlyKeys(ECHO);
        assertThat(source.invalidManifests()).as("every bad file, once, before start returns").isEqualTo(bad);
        assertThat(reported).as("reported to the observer at once").hasValue(bad);
        for (int port = 8081; port <= 8083; port++) {
            int expected = port;
            replace("zz-good.yaml", service("echo", "127.0.10.1", port));
            await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(expected));
        }
        assertThat(source.invalidManifests()).as("not counted again on rescans").isEqualTo(bad);
        assertThat(source.scanFailures()).isZero();
    }

    @Test
    void truncatedFile_isRejected_andFilesAfterItAreStillRead() throws IOException {
        write("a-truncated.yaml", HostileManifests.corpus().get("truncated-ports"));
        write("b-echo.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker, Duration.ofMillis(100));

        write("c-hello.yaml", service("hello", "127.0.10.2", 80));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(tracker.checkout().services().keySet())
                .contains(ECHO, HELLO));
        assertThat(source.invalidManifests()).isEqualTo(1);
    }

    @Test
    void stackOverflowWhileApplying_fileCountedOnce_loopGoesOn_andTheEditIsAppliedAtTheNextScan()
            throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        source = ManifestSource.start(dir, tracker, Duration.ofMillis(100));
        AtomicInteger calls = new AtomicInteger();
        tracker.setChangeListener(() -> {
            if (calls.getAndIncrement() == 0) {
                throw new StackOverflowError("injected");
            }
        });

        write("echo.yaml", service("echo", "127.0.10.1", 8081));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(8081));
        assertThat(source.invalidManifests()).as("that file, logged with the error").isEqualTo(1);
        assertThat(source.scanFailures()).as("the scan itself went on").isZero();
        write("echo.yaml", service("echo", "127.0.10.1", 8082));
        await().atMost(WITHIN).untilAsserted(() -> assertThat(portOf(ECHO)).isEqualTo(8082));
    }

    @Test
    void fatalErrorWhileApplying_observerToldTheWatchStopped() throws IOException {
        write("echo.yaml", service("echo", "127.0.10.1", 8080));
        AtomicReference<Throwable> stopped = new AtomicReference<>();
        source = ManifestSource.start(dir, tracker, Duration.ofMillis(100), new ManifestSource.Observer() {
            @Override
            public void onStopped(Throwable cause) {
                stopped.set(cause);
            }
        });
        Thread.UncaughtExceptionHandler quiet = (t, e) -> { }; // the thread dies of it, as it should
        tracker.setChangeListener(() -> {
            Thread.currentThread().setUncaughtExceptionHandler(quiet);
            throw new OutOfMemoryError("injected");
        });

        write("echo.yaml", service("echo", "127.0.10.1", 8081));

        await().atMost(WITHIN).untilAsserted(() -> assertThat(stopped.get()).isInstanceOf(OutOfMemoryError.class));
    }
}
