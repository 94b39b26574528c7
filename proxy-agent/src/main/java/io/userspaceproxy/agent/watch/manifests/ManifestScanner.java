package io.userspaceproxy.agent.watch.manifests;

import io.userspaceproxy.agent.watch.convert.InvalidResourceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds which manifest files changed since the last scan and hands their contents to {@link ManifestObjects}.
 *
 * <p>Files are the directory's {@code *.yaml}, {@code *.yml} and {@code *.json} entries (not subdirectories; names
 * starting with {@code .} are skipped, which also skips a ConfigMap mount's {@code ..data} machinery while still
 * following its symlinks). A file is re-read when its size, modification time or file key (inode) changed, when
 * the scan is forced (after a watch event), or while its modification time is within {@link #RACY_WINDOW} of
 * now: a file rewritten twice within the file system's timestamp granularity would otherwise look unchanged
 * (git's "racily clean" problem). Content is compared by SHA-256, so a touch without a change does nothing.
 *
 * <p>A file that cannot be read or parsed is counted and logged once per content version; the objects it
 * defined keep their last good state. A file that vanished takes its objects with it. Not thread-safe: used by
 * one thread at a time.
 */
final class ManifestScanner {

    static final Duration RACY_WINDOW = Duration.ofSeconds(2);
    static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(ManifestScanner.class);

    /** What identifies a version of a file without reading it. */
    private record Stamp(long size, FileTime modified, @Nullable Object fileKey) {
        static Stamp of(BasicFileAttributes a) {
            return new Stamp(a.size(), a.lastModifiedTime(), a.fileKey());
        }
    }

    /** A directory entry: its attributes, or why they cannot be read (a symlink loop: ELOOP). */
    private record Entry(@Nullable BasicFileAttributes attributes, @Nullable IOException error) {
    }

    /** The stamp of a file that could not be read at all: never equal to a readable version's. */
    private static final Stamp UNREADABLE = new Stamp(-1, FileTime.fromMillis(0), null);

    /** {@code loaded}: hash of the content in effect (null if none); {@code rejected}: of the last bad one. */
    private record FileRecord(Stamp stamp, byte @Nullable [] loaded, byte @Nullable [] rejected) {
    }

    private final Path directory;
    private final ManifestObjects objects;
    private final LongAdder invalid;
    private final ManifestSource.Observer observer;
    private final Clock clock;
    private final Map<Path, FileRecord> files = new HashMap<>();
    /** False until the first scan ends: files loaded by it are summed up in one line rather than one each. */
    private boolean startedUp;
    private int loaded;
    private long loadedServices;
    private long loadedSlices;

    ManifestScanner(Path directory, ManifestObjects objects, LongAdder invalid, Clock clock) {
        this(directory, objects, invalid, ManifestSource.Observer.NONE, clock);
    }

    /** @param observer told on the scanning thread, at once, of every rejected file version and every warning */
    ManifestScanner(Path directory, ManifestObjects objects, LongAdder invalid, ManifestSource.Observer observer,
            Clock clock) {
        this.directory = directory;
        this.objects = objects;
        this.invalid = invalid;
        this.observer = observer;
        this.clock = clock;
    }

    /**
     * @param force re-read every file whatever its stamp says
     * @throws IOException when the directory cannot be listed; nothing is changed then (a directory that is
     *                     briefly missing, as during a remount, must not delete every Service)
     */
    void scan(boolean force) throws IOException {
        scan(force ? null : Set.of());
    }

    /**
     * Scans with the files named (by file name, as a watch event gives them) re-read whatever their stamp says, and
     * every other file by its stamp: after a watch event that named them, so that an edit among 10,000 files costs
     * one read, not 10,000.
     *
     * @param forced the names to re-read; {@code null} re-reads every file
     * @throws IOException when the directory cannot be listed; nothing is changed then
     */
    void scan(@Nullable Set<Path> forced) throws IOException {
        boolean first = !startedUp;
        int loadedBefore = loaded;
        Map<Path, Entry> present = list();
        for (Path gone : new ArrayList<>(files.keySet())) {
            if (!present.containsKey(gone)) {
                files.remove(gone);
                int count = objects.objectCount(gone);
                objects.remove(gone);
                log.info("Manifest {} was removed; dropped its {} objects", gone.getFileName(), count);
            }
        }
        for (Map.Entry<Path, Entry> e : present.entrySet()) {
            Path file = e.getKey();
            try {
                if (e.getValue().error() != null) {
                    unreadable(file, e.getValue().error());
                } else {
                    BasicFileAttributes attributes = Objects.requireNonNull(e.getValue().attributes(),
                            "an entry without an error has its attributes");
                    check(file, Stamp.of(attributes), forced == null || forced.contains(file.getFileName()));
                }
            } catch (RuntimeException | StackOverflowError failure) {
                // Whatever one file does, the files after it are still read.
                reject(file, files.get(file), UNREADABLE, sha256(failure.toString().getBytes(StandardCharsets.UTF_8)),
                        "could not be read: " + failure);
            }
        }
        startedUp = true;
        if (first && loaded > loadedBefore) {
            log.info("Loaded {} manifests of {} in {}: {} services, {} endpoint slices", loaded - loadedBefore,
                    present.size(), directory, loadedServices, loadedSlices);
        }
    }

    /** A file whose attributes cannot be read (a symlink loop, no permission): rejected on its own. */
    private void unreadable(Path file, IOException e) {
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.toString();
        reject(file, files.get(file), UNREADABLE, sha256(("unreadable " + reason).getBytes(StandardCharsets.UTF_8)),
                "unreadable: " + reason);
    }

    private Map<Path, Entry> list() throws IOException {
        Map<Path, Entry> out = new TreeMap<>();
        try (Stream<Path> entries = Files.list(directory)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (!isManifestName(name)) {
                    continue;
                }
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        out.put(p, new Entry(a, null));
                    }
                } catch (NoSuchFileException e) {
                    // Removed (or a dangling symlink) between listing and reading: absent.
                } catch (IOException e) {
                    out.put(p, new Entry(null, e)); // ELOOP and the like: this file is bad, not the directory
                }
            }
        }
        return out;
    }

    static boolean isManifestName(String name) {
        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml") || name.endsWith(".json"));
    }

    private void check(Path file, Stamp stamp, boolean force) {
        FileRecord old = files.get(file);
        boolean racy = stamp.modified().toInstant().isAfter(clock.instant().minus(RACY_WINDOW));
        if (old != null && !force && !racy && old.stamp().equals(stamp)) {
            return;
        }
        byte[] bytes;
        try {
            bytes = read(file);
        } catch (NoSuchFileException e) {
            return; // gone since listing; the next scan drops it
        } catch (IOException e) {
            reject(file, old, stamp, sha256(("unreadable " + stamp + " " + e).getBytes(StandardCharsets.UTF_8)),
                    "unreadable: " + e);
            return;
        }
        if (bytes.length > MAX_FILE_BYTES) {
            reject(file, old, stamp, sha256(("too large " + stamp).getBytes(StandardCharsets.UTF_8)),
                    "larger than " + MAX_FILE_BYTES + " bytes");
            return;
        }
        byte[] hash = sha256(bytes);
        if (old != null && (Arrays.equals(old.loaded(), hash) || Arrays.equals(old.rejected(), hash))) {
            // Same bytes as the version in effect, or as the bad version already reported.
            files.put(file, new FileRecord(stamp, old.loaded(), old.rejected()));
            return;
        }
        load(file, old, stamp, hash, new String(bytes, StandardCharsets.UTF_8));
    }

    private void load(Path file, @Nullable FileRecord old, Stamp stamp, byte[] hash, String text) {
        ManifestContent content;
        try {
            content = ManifestParser.parse(text);
        } catch (InvalidResourceException e) {
            reject(file, old, stamp, hash, e.getMessage());
            return;
        }
        boolean wasRejected = old != null && old.rejected() != null;
        objects.replace(file, content);
        files.put(file, new FileRecord(stamp, hash, null));
        for (String w : content.warnings()) {
            log.warn("Manifest {}: {}", file.getFileName(), w);
            observer.onWarning();
        }
        // One line per file as edits arrive; at start a summary instead (a directory may hold 10,000 files).
        boolean quiet = old == null && !startedUp;
        if (quiet ? log.isDebugEnabled() : log.isInfoEnabled()) {
            String line = "Manifest {} loaded{}: {} services, {} endpoint slices";
            Object[] args = {file.getFileName(), wasRejected ? " (valid again)" : "", content.services().size(),
                content.slices().size()};
            if (quiet) {
                log.debug(line, args);
            } else {
                log.info(line, args);
            }
        }
        loaded++;
        loadedServices += content.services().size();
        loadedSlices += content.slices().size();
    }

    private void reject(Path file, @Nullable FileRecord old, Stamp stamp, byte[] key, @Nullable String reason) {
        files.put(file, new FileRecord(stamp, old == null ? null : old.loaded(), key));
        if (old != null && Arrays.equals(old.rejected(), key)) {
            return;
        }
        invalid.increment();
        observer.onInvalid();
        log.warn("Ignoring manifest {} ({} objects keep their last good state): {}", file.getFileName(),
                objects.objectCount(file), reason);
    }

    private static byte[] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(MAX_FILE_BYTES + 1);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
