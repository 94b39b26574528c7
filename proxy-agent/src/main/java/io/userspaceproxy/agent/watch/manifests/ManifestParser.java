package io.userspaceproxy.agent.watch.manifests;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.runtime.RawExtension;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.agent.state.ServicePortInfo;
import io.userspaceproxy.agent.watch.convert.InvalidResourceException;
import io.userspaceproxy.agent.watch.convert.KubernetesObjects;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Parses the text of one manifest file (YAML with any number of {@code ---} documents, JSON, or a
 * {@code kind: List}) into the objects it defines. The file is taken or rejected whole: every problem in it is
 * collected into one {@link InvalidResourceException}, so one log line tells the user everything to fix. Besides
 * each object's own checks, a file must not define an object twice nor give one node port (per protocol) to two
 * Services. Kinds other than Service, EndpointSlice and Endpoints are ignored with a warning. Thread-safe.
 */
final class ManifestParser {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final int MAX_REASON_LENGTH = 300;

    private ManifestParser() {
    }

    /**
     * @throws InvalidResourceException naming every problem; never any other exception, whatever the text (a
     *                                  limit of {@link ManifestDocuments} exceeded, a conversion that failed)
     */
    static ManifestContent parse(String text) {
        try {
            return parseDocuments(text);
        } catch (InvalidResourceException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidResourceException(describe(e));
        } catch (StackOverflowError e) {
            // The limits should make this unreachable; if a parser still recurses too deep, reject the file.
            throw new InvalidResourceException("nested too deeply for the parser (stack overflow)");
        }
    }

    private static ManifestContent parseDocuments(String text) {
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<ObjectRef, ServiceInfo> services = new LinkedHashMap<>();
        Map<ObjectRef, EndpointSliceInfo> slices = new LinkedHashMap<>();
        for (Object document : ManifestDocuments.read(text)) {
            try {
                add(resource(document), services, slices, warnings, errors);
            } catch (InvalidResourceException e) {
                errors.addAll(e.problems());
            } catch (RuntimeException e) {
                // A conversion bug must cost this file only, never the scan of the files after it.
                errors.add("could not be converted: " + oneLine(e.toString()));
            }
        }
        checkNodePorts(services, errors);
        if (!errors.isEmpty()) {
            throw new InvalidResourceException(errors);
        }
        return new ManifestContent(services, slices, warnings);
    }

    /** The fabric8 object of one document tree (a {@link RawExtension} when it has no kind), or null if empty. */
    private static @Nullable Object resource(@Nullable Object document) {
        if (document == null) {
            return null;
        }
        if (!(document instanceof Map<?, ?>) && !(document instanceof JsonNode node && node.isObject())) {
            return new RawExtension(document);
        }
        try {
            return SERIALIZATION.convertValue(document, KubernetesResource.class);
        } catch (IllegalArgumentException e) {
            throw new InvalidResourceException(describe(e));
        }
    }

    private static void add(@Nullable Object document, Map<ObjectRef, ServiceInfo> services,
            Map<ObjectRef, EndpointSliceInfo> slices, List<String> warnings, List<String> errors) {
        if (document instanceof KubernetesList list) {
            for (Object item : list.getItems()) {
                add(item, services, slices, warnings, errors);
            }
        } else if (document instanceof Service s) {
            ServiceInfo info = KubernetesObjects.service(s, warnings::add);
            putOnce(services, info.ref(), info, "Service", errors);
        } else if (document instanceof EndpointSlice s) {
            EndpointSliceInfo info = KubernetesObjects.endpointSlice(s, warnings::add);
            putOnce(slices, info.ref(), info, "EndpointSlice", errors);
        } else if (document instanceof Endpoints e) {
            for (EndpointSliceInfo info : KubernetesObjects.endpoints(e, warnings::add)) {
                putOnce(slices, info.ref(), info, "Endpoints", errors);
            }
        } else if (document instanceof HasMetadata other) {
            warnings.add("ignored " + other.getApiVersion() + " " + other.getKind() + " "
                    + KubernetesObjects.refOf(other.getMetadata())
                    + " (only v1 Service, discovery.k8s.io/v1 EndpointSlice and v1 Endpoints are read)");
        } else if (document instanceof RawExtension) {
            errors.add("a document has no apiVersion and kind, so it is not a Kubernetes object");
        } else if (document != null) {
            errors.add("a document is not a Kubernetes object: " + document.getClass().getSimpleName());
        }
    }

    private static <V> void putOnce(Map<ObjectRef, V> map, ObjectRef ref, V value, String kind, List<String> errors) {
        if (map.putIfAbsent(ref, value) != null) {
            errors.add(kind + " " + ref + " is defined more than once in the file");
        }
    }

    private static void checkNodePorts(Map<ObjectRef, ServiceInfo> services, List<String> errors) {
        Map<String, String> owners = new HashMap<>();
        for (ServiceInfo s : services.values()) {
            for (ServicePortInfo p : s.ports()) {
                if (p.nodePort() == 0) {
                    continue;
                }
                String key = p.nodePort() + "/" + p.protocol();
                String owner = "Service " + s.ref() + " port \"" + p.name() + "\"";
                String previous = owners.putIfAbsent(key, owner);
                if (previous != null) {
                    errors.add(owner + ": nodePort: " + key + " (expected: unique per protocol in the file, "
                            + "already used by " + previous + ")");
                }
            }
        }
    }

    /**
     * One line saying where the text is malformed: the YAML parser's line and column, or the field path where
     * a value has the wrong type ({@code spec.ports[0].port}).
     */
    static String describe(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonMappingException m && !m.getPath().isEmpty()) {
                return "not a valid Kubernetes object at " + path(m) + ": " + oneLine(m.getOriginalMessage());
            }
        }
        return "not valid YAML or JSON: " + oneLine(e.getMessage());
    }

    private static String path(JsonMappingException m) {
        StringBuilder sb = new StringBuilder();
        List<JsonMappingException.Reference> refs = m.getPath();
        for (int i = 0; i < refs.size(); i++) {
            JsonMappingException.Reference r = refs.get(i);
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String oneLine(@Nullable String message) {
        String s = message == null ? "(no detail)" : message.replaceAll("\\s+", " ").trim();
        return s.length() <= MAX_REASON_LENGTH ? s : s.substring(0, MAX_REASON_LENGTH) + "...";
    }
}
