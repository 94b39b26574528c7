package io.userspaceproxy.agent.watch.manifests;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.sync.ChangeTracker;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The objects each manifest file last defined successfully, and the translation of a file's new contents into
 * upserts and deletes on the {@link ChangeTracker}: only objects whose effective value changed are reported.
 * Not thread-safe: confined to the thread that scans (the caller of the initial scan, then the watch thread).
 */
final class ManifestObjects {

    private static final Logger log = LoggerFactory.getLogger(ManifestObjects.class);

    private final ChangeTracker tracker;
    private final LatestDefinitions<ServiceInfo> services = new LatestDefinitions<>();
    private final LatestDefinitions<EndpointSliceInfo> slices = new LatestDefinitions<>();
    private final Map<Path, ManifestContent> byFile = new HashMap<>();

    ManifestObjects(ChangeTracker tracker) {
        this.tracker = tracker;
    }

    /** Makes {@code content} what {@code file} defines, replacing its previous objects. */
    void replace(Path file, ManifestContent content) {
        ManifestContent old = byFile.getOrDefault(file, ManifestContent.EMPTY);
        apply(services, "Service", file, old.services(), content.services(),
                tracker::onServiceUpserted, tracker::onServiceDeleted);
        apply(slices, "EndpointSlice", file, old.slices(), content.slices(),
                tracker::onSliceUpserted, tracker::onSliceDeleted);
        if (content.services().isEmpty() && content.slices().isEmpty()) {
            byFile.remove(file);
        } else {
            byFile.put(file, content);
        }
    }

    void remove(Path file) {
        replace(file, ManifestContent.EMPTY);
    }

    /** How many objects {@code file} currently contributes. */
    int objectCount(Path file) {
        ManifestContent c = byFile.getOrDefault(file, ManifestContent.EMPTY);
        return c.services().size() + c.slices().size();
    }

    private static <V> void apply(LatestDefinitions<V> defs, String kind, Path file, Map<ObjectRef, V> before,
            Map<ObjectRef, V> after, Consumer<V> upsert, Consumer<ObjectRef> delete) {
        for (ObjectRef ref : before.keySet()) {
            if (!after.containsKey(ref)) {
                V was = defs.effective(ref);
                defs.undefine(ref, file);
                publish(ref, was, defs.effective(ref), upsert, delete);
            }
        }
        for (Map.Entry<ObjectRef, V> e : after.entrySet()) {
            ObjectRef ref = e.getKey();
            V was = defs.effective(ref);
            if (defs.define(ref, file, e.getValue()) && defs.files(ref).size() > 1) {
                log.warn("{} {} is defined in more than one manifest ({}); using the one in {}, changed last",
                        kind, ref, names(defs.files(ref)), file.getFileName());
            }
            publish(ref, was, defs.effective(ref), upsert, delete);
        }
    }

    private static <V> void publish(ObjectRef ref, @Nullable V was, @Nullable V now, Consumer<V> upsert,
            Consumer<ObjectRef> delete) {
        if (Objects.equals(was, now)) {
            return;
        }
        if (now == null) {
            delete.accept(ref);
        } else {
            upsert.accept(now);
        }
    }

    private static List<String> names(Set<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
    }
}
