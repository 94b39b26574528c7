package io.userspaceproxy.agent.state;

import java.util.Comparator;
import java.util.Objects;

/**
 * Identity of a namespaced object, as {@code namespace/name}. Ordered by namespace, then name, which is the order
 * every deterministic walk over the cluster state uses (and the tie-break for listener conflicts).
 */
public record ObjectRef(String namespace, String name) implements Comparable<ObjectRef> {

    private static final Comparator<ObjectRef> ORDER =
            Comparator.comparing(ObjectRef::namespace).thenComparing(ObjectRef::name);

    public ObjectRef {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (namespace.isEmpty()) {
            throw new IllegalArgumentException("namespace: \"\" (expected: non-empty)");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("name: \"\" (expected: non-empty)");
        }
    }

    public static ObjectRef of(String namespace, String name) {
        return new ObjectRef(namespace, name);
    }

    @Override
    public int compareTo(ObjectRef other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
