package io.userspaceproxy.agent.watch.manifests;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import io.userspaceproxy.agent.sync.ChangeTracker;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the Services, EndpointSlices and Endpoints defined by the manifest files of one directory, for running
 * without an API server (local development, demos, static nodes).
 *
 * <p>{@link #start} scans the directory synchronously, so the tracker holds every valid object when it returns.
 * A daemon thread then keeps the tracker in step with the files: a {@link WatchService} event triggers a rescan
 * that re-reads the files it named (after letting a burst of events settle for {@value #SETTLE_MILLIS} ms, so an
 * editor's write-then-rename is read once; every other file is judged by its stamp, so an edit among 10,000 files
 * costs one read), and a periodic rescan (default every second) catches what the watch service misses (some file
 * systems, a ConfigMap mount swapping its {@code ..data} symlink, a directory recreated). An edit is therefore
 * applied within about one second. See {@link ManifestScanner} for which files are read and how changes are
 * detected, {@link ManifestParser} for what a file may contain.
 *
 * <p>Each file is taken or rejected whole. A rejected file is logged at WARN with its name and every reason, once
 * per content version, and counted in {@link #invalidManifests()}; the objects it defined keep their last good
 * state, and other files are unaffected. When two files define one object, the definition changed last wins
 * (logged at WARN). A directory that cannot be listed changes nothing until it can.
 *
 * <p>Threading: the tracker is called from the thread that calls {@link #start}, then only from the watch thread.
 * Nothing escapes the watch thread: every failure (a {@code StackOverflowError} included) is logged and the loop
 * goes on until {@link #close()}. Only a {@link VirtualMachineError} other than a stack overflow (out of memory)
 * stops it; {@link Observer#onStopped} then says so, for {@code /healthz} to report.
 */
public final class ManifestSource implements AutoCloseable {

    /** What a manifest source reports as it happens, on its own threads; must not block. */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        /** A version of a file was rejected (logged with its name and reason). */
        default void onInvalid() {
        }

        /** A version of a file was taken with something in it ignored, such as an unknown annotation value (logged). */
        default void onWarning() {
        }

        /** The watch thread stopped before {@link #close()}: edits are no longer applied. */
        default void onStopped(Throwable cause) {
        }

        /** An observer made of one action per report. */
        static Observer of(Runnable onInvalid, Runnable onWarning, Consumer<Throwable> onStopped) {
            return new Observer() {
                @Override
                public void onInvalid() {
                    onInvalid.run();
                }

                @Override
                public void onWarning() {
                    onWarning.run();
                }

                @Override
                public void onStopped(Throwable cause) {
                    onStopped.accept(cause);
                }
            };
        }
    }

    public static final Duration DEFAULT_RESCAN_INTERVAL = Duration.ofSeconds(1);
    static final long SETTLE_MILLIS = 50;
    private static final long MAX_SETTLE_MILLIS = 300;

    private static final Logger log = LoggerFactory.getLogger(ManifestSource.class);

    private final Path directory;
    private final Duration rescanInterval;
    private final ManifestScanner scanner;
    private final LongAdder invalid;
    private final LongAdder scanFailures = new LongAdder();
    private final Observer observer;
    private final WatchService watcher;
    private final Thread thread;
    private volatile boolean closed;
    private boolean failing;

    private ManifestSource(Path directory, Duration rescanInterval, ManifestScanner scanner, LongAdder invalid,
            Observer observer, WatchService watcher, @Nullable WatchKey key) {
        this.directory = directory;
        this.rescanInterval = rescanInterval;
        this.scanner = scanner;
        this.invalid = invalid;
        this.observer = observer;
        this.watcher = watcher;
        this.thread = new Thread(() -> run(key), "manifest-watch");
        this.thread.setDaemon(true);
    }

    /** {@link #start(Path, ChangeTracker, Duration)} with a rescan every {@link #DEFAULT_RESCAN_INTERVAL}. */
    public static ManifestSource start(Path directory, ChangeTracker tracker) throws IOException {
        return start(directory, tracker, DEFAULT_RESCAN_INTERVAL);
    }

    /**
     * Loads every manifest in {@code directory} into {@code tracker}, then watches it until {@link #close()}.
     *
     * @param rescanInterval how often the directory is rescanned when no watch event arrives (> 0)
     * @throws IOException when {@code directory} is missing, not a directory, or cannot be listed
     */
    public static ManifestSource start(Path directory, ChangeTracker tracker, Duration rescanInterval)
            throws IOException {
        return start(directory, tracker, rescanInterval, Observer.NONE);
    }

    /** {@link #start(Path, ChangeTracker, Duration)}, reporting rejected files and a stop to {@code observer}. */
    public static ManifestSource start(Path directory, ChangeTracker tracker, Duration rescanInterval,
            Observer observer) throws IOException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(observer, "observer");
        Objects.requireNonNull(tracker, "tracker");
        Objects.requireNonNull(rescanInterval, "rescanInterval");
        if (rescanInterval.isNegative() || rescanInterval.isZero()) {
            throw new IllegalArgumentException("rescanInterval: " + rescanInterval + " (expected: > 0)");
        }
        if (!Files.exists(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "manifest directory does not exist");
        }
        if (!Files.isDirectory(directory)) {
            throw new NotDirectoryException(directory.toString());
        }
        LongAdder invalid = new LongAdder();
        ManifestScanner scanner = new ManifestScanner(directory, new ManifestObjects(tracker), invalid,
                observer, Clock.systemUTC());
        WatchService watcher = directory.getFileSystem().newWatchService();
        // Watch first, then scan: a change made while scanning still produces an event.
        WatchKey key = register(directory, watcher, null);
        try {
            scanner.scan(true);
        } catch (IOException | RuntimeException e) {
            watcher.close();
            throw e;
        }
        ManifestSource source = new ManifestSource(directory, rescanInterval, scanner, invalid, observer, watcher,
                key);
        source.thread.start();
        log.info("Watching manifests in {} (rescan every {} ms)", directory, rescanInterval.toMillis());
        return source;
    }

    /** Manifest versions rejected since start (each bad version of a file counts once). */
    public long invalidManifests() {
        return invalid.sum();
    }

    /** Scans that failed as a whole (directory unreadable, or an unexpected error caught by the watch loop). */
    public long scanFailures() {
        return scanFailures.sum();
    }

    public Path directory() {
        return directory;
    }

    /** Stops the watch thread and waits (up to 5 s) for it to finish; idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            watcher.close();
        } catch (IOException e) {
            log.debug("Closing the watch service of {} failed", directory, e);
        }
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(@Nullable WatchKey initialKey) {
        try {
            watch(initialKey);
        } catch (Throwable fatal) { // only a VirtualMachineError gets here; see watch()
            log.error("Manifest watch of {} stopped: edits are no longer applied", directory, fatal);
            observer.onStopped(fatal);
            throw fatal;
        }
    }

    private void watch(@Nullable WatchKey initialKey) {
        WatchKey key = initialKey;
        while (!closed) {
            try {
                key = register(directory, watcher, key);
                scanner.scan(awaitEvents(key));
                if (failing) {
                    failing = false;
                    log.info("Manifest directory {} can be read again", directory);
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                if (!closed) {
                    log.warn("Manifest watch of {} was interrupted; stopping", directory);
                    observer.onStopped(e);
                }
                return;
            } catch (VirtualMachineError e) {
                if (!(e instanceof StackOverflowError)) {
                    throw e; // out of memory or an internal error: nothing here can be trusted to go on
                }
                onScanFailure(e);
            } catch (Exception | Error e) { // a bug in a parser or converter must not stop later edits
                onScanFailure(e);
            }
        }
    }

    private void onScanFailure(Throwable e) {
        if (closed) {
            return; // an interrupted read while closing
        }
        scanFailures.increment();
        if (!failing) {
            failing = true;
            log.warn("Scanning manifest directory {} failed; objects keep their state, retrying every {} ms",
                    directory, rescanInterval.toMillis(), e);
        }
    }

    /** The watch key of the directory, registering again when the directory was replaced (null: cannot). */
    private static @Nullable WatchKey register(Path directory, WatchService watcher, @Nullable WatchKey key) {
        if (key != null && key.isValid()) {
            return key;
        }
        try {
            return directory.register(watcher, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
        } catch (IOException e) {
            log.debug("Cannot watch {} ({}); relying on the periodic rescan", directory, e.toString());
            return null;
        }
    }

    /**
     * Waits up to one rescan interval for a watch event, then for the burst to settle. Returns the manifest file
     * names the events named (to be re-read whatever their stamps say), empty when none came, or {@code null} to
     * re-read every file: events were lost (overflow), or named something else (a ConfigMap mount's {@code ..data}
     * swap, which changes every file behind its symlinks at once).
     */
    private @Nullable Set<Path> awaitEvents(@Nullable WatchKey key) throws InterruptedException {
        if (key == null) {
            Thread.sleep(rescanInterval.toMillis());
            return Set.of();
        }
        WatchKey signalled = watcher.poll(rescanInterval.toMillis(), TimeUnit.MILLISECONDS);
        if (signalled == null) {
            return Set.of();
        }
        Set<Path> named = new HashSet<>();
        boolean all = false;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_SETTLE_MILLIS);
        while (signalled != null) {
            for (WatchEvent<?> event : signalled.pollEvents()) {
                if (event.context() instanceof Path name && ManifestScanner.isManifestName(name.toString())) {
                    named.add(name);
                } else {
                    all = true;
                }
            }
            signalled.reset();
            if (System.nanoTime() > deadline) {
                break;
            }
            signalled = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
        }
        return all ? null : named;
    }
}
