package io.userspaceproxy.agent.watch.manifests;

import io.userspaceproxy.agent.state.ObjectRef;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which files define each object, in the order the definitions were last changed. The effective value is the most
 * recently changed definition ("last one wins"); when that file drops the object, the previous definition takes
 * over again rather than the object disappearing. Not thread-safe: confined to the manifest watch thread.
 */
final class LatestDefinitions<V> {

    private final Map<ObjectRef, LinkedHashMap<Path, V>> byRef = new HashMap<>();

    /** The value in effect, or null when no file defines {@code ref}. */
    @Nullable V effective(ObjectRef ref) {
        LinkedHashMap<Path, V> defs = byRef.get(ref);
        if (defs == null) {
            return null;
        }
        V last = null;
        for (V v : defs.values()) {
            last = v;
        }
        return last;
    }

    /**
     * Records {@code file}'s definition. An unchanged definition keeps its place, so editing another object in
     * the same file does not make this one win over another file's.
     *
     * @return true when the definition is new or changed
     */
    boolean define(ObjectRef ref, Path file, V value) {
        LinkedHashMap<Path, V> defs = byRef.computeIfAbsent(ref, r -> new LinkedHashMap<>(2));
        if (Objects.equals(defs.get(file), value)) {
            return false;
        }
        defs.remove(file);
        defs.put(file, value);
        return true;
    }

    void undefine(ObjectRef ref, Path file) {
        LinkedHashMap<Path, V> defs = byRef.get(ref);
        if (defs != null) {
            defs.remove(file);
            if (defs.isEmpty()) {
                byRef.remove(ref);
            }
        }
    }

    /** The files defining {@code ref}, oldest definition first. */
    Set<Path> files(ObjectRef ref) {
        LinkedHashMap<Path, V> defs = byRef.get(ref);
        return defs == null ? Set.of() : defs.keySet();
    }
}
