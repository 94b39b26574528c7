package io.userspaceproxy.agent.watch.convert;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.userspaceproxy.agent.state.AddressType;
import io.userspaceproxy.agent.state.EndpointInfo;
import io.userspaceproxy.agent.state.EndpointPortInfo;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.core.model.Protocol;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/** Converts and validates EndpointSlices and v1 Endpoints; see {@link KubernetesObjects}. Stateless. */
final class EndpointConversion {

    private EndpointConversion() {
    }

    static EndpointSliceInfo slice(EndpointSlice slice, Consumer<String> warnings) {
        ObjectMeta meta = slice.getMetadata();
        ObjectRef ref = KubernetesObjects.refOf(meta);
        ConversionReport problems = new ConversionReport("EndpointSlice " + ref, warnings);
        KubernetesObjects.requireName(problems, meta);
        String service = meta == null || meta.getLabels() == null
                ? null : meta.getLabels().get(KubernetesObjects.SERVICE_NAME_LABEL);
        if (service == null || service.isEmpty()) {
            problems.missing("metadata.labels[\"" + KubernetesObjects.SERVICE_NAME_LABEL + "\"]",
                    "the name of the Service this slice belongs to");
        }
        AddressType type = addressType(problems, slice.getAddressType());
        List<EndpointPortInfo> ports = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; slice.getPorts() != null && i < slice.getPorts().size(); i++) {
            var p = slice.getPorts().get(i);
            if (p == null) {
                problems.missing("ports[" + i + "]", "a port");
                continue;
            }
            addPort(problems, "ports[" + i + "]", p.getName(), p.getProtocol(), p.getPort(), names, ports);
        }
        List<EndpointInfo> endpoints = new ArrayList<>();
        for (int i = 0; slice.getEndpoints() != null && i < slice.getEndpoints().size(); i++) {
            if (slice.getEndpoints().get(i) == null) {
                problems.missing("endpoints[" + i + "]", "an endpoint");
                continue;
            }
            EndpointInfo e = endpoint(problems, "endpoints[" + i + "]", slice.getEndpoints().get(i), type);
            if (e != null) {
                endpoints.add(e);
            }
        }
        Instant trigger = triggerTime(problems, meta);
        problems.throwIfAny();
        // throwIfAny() has rejected a slice without a Service name.
        return new EndpointSliceInfo(ref, Objects.requireNonNull(service, "service"), type, ports, endpoints, trigger);
    }

    /** The slice's change trigger time; a bad one is a warning only, since it only feeds a latency metric. */
    private static @Nullable Instant triggerTime(ConversionReport problems, @Nullable ObjectMeta meta) {
        String value = meta == null || meta.getAnnotations() == null
                ? null : meta.getAnnotations().get(KubernetesObjects.LAST_CHANGE_TRIGGER_TIME_ANNOTATION);
        try {
            return ChangeTriggerTime.parse(value);
        } catch (IllegalArgumentException e) {
            problems.warn("metadata.annotations[\"" + KubernetesObjects.LAST_CHANGE_TRIGGER_TIME_ANNOTATION + "\"]: "
                    + e.getMessage() + "; the change is applied but not timed");
            return null;
        }
    }

    static List<EndpointSliceInfo> endpoints(Endpoints object, Consumer<String> warnings) {
        ObjectMeta meta = object.getMetadata();
        ObjectRef ref = KubernetesObjects.refOf(meta);
        ConversionReport problems = new ConversionReport("Endpoints " + ref, warnings);
        KubernetesObjects.requireName(problems, meta);
        List<EndpointSliceInfo> out = new ArrayList<>();
        List<EndpointSubset> subsets = object.getSubsets() == null ? List.of() : object.getSubsets();
        for (int i = 0; i < subsets.size(); i++) {
            String path = "subsets[" + i + "]";
            EndpointSubset subset = subsets.get(i);
            if (subset == null) {
                problems.missing(path, "a subset");
                continue;
            }
            List<EndpointPortInfo> ports = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (int j = 0; subset.getPorts() != null && j < subset.getPorts().size(); j++) {
                var p = subset.getPorts().get(j);
                if (p == null) {
                    problems.missing(path + ".ports[" + j + "]", "a port");
                    continue;
                }
                addPort(problems, path + ".ports[" + j + "]", p.getName(), p.getProtocol(), p.getPort(), names, ports);
            }
            Map<AddressType, List<EndpointInfo>> byFamily = new EnumMap<>(AddressType.class);
            addAddresses(problems, path + ".addresses", subset.getAddresses(), true, byFamily);
            addAddresses(problems, path + ".notReadyAddresses", subset.getNotReadyAddresses(), false, byFamily);
            byFamily.forEach((family, list) -> out.add(new EndpointSliceInfo(
                    new ObjectRef(ref.namespace(), ref.name() + "/" + path + "/" + family.apiName()),
                    ref.name(), family, ports, list)));
        }
        problems.throwIfAny();
        return out;
    }

    private static AddressType addressType(ConversionReport problems, String value) {
        if (value == null || value.isEmpty()) {
            problems.missing("addressType", "IPv4 or IPv6");
            return AddressType.IPV4;
        }
        for (AddressType t : AddressType.values()) {
            if (t.apiName().equals(value)) {
                return t;
            }
        }
        problems.invalid("addressType", value, "IPv4 or IPv6 (FQDN slices are not served)");
        return AddressType.IPV4;
    }

    private static void addPort(ConversionReport problems, String path, String rawName, String rawProtocol,
            Integer port, Set<String> names, List<EndpointPortInfo> out) {
        String name = rawName == null ? "" : rawName;
        if (!names.add(name)) {
            problems.invalid(path + ".name", name, "unique within the object");
        }
        Protocol protocol = KubernetesObjects.protocol(problems, path + ".protocol", rawProtocol);
        if (port == null) {
            problems.missing(path + ".port", "1..65535");
        } else if (port < 1 || port > 65535) {
            problems.invalid(path + ".port", port, "1..65535");
        } else if (protocol == null) {
            problems.warn(path + ": protocol SCTP is not served by a userspace proxy; port ignored");
        } else {
            out.add(new EndpointPortInfo(name, protocol, port));
        }
    }

    private static @Nullable EndpointInfo endpoint(ConversionReport problems, String path, Endpoint e,
            AddressType type) {
        List<InetAddress> addresses = new ArrayList<>();
        List<String> raw = e.getAddresses() == null ? List.of() : e.getAddresses();
        if (raw.isEmpty()) {
            problems.missing(path + ".addresses", "at least one address");
        }
        for (int j = 0; j < raw.size(); j++) {
            InetAddress ip = familyIp(problems, path + ".addresses[" + j + "]", raw.get(j), type);
            if (ip != null) {
                addresses.add(ip);
            }
        }
        if (addresses.isEmpty()) {
            return null;
        }
        EndpointConditions c = e.getConditions();
        List<String> zoneHints = hintNames(problems, path + ".hints.forZones",
                e.getHints() == null ? null : e.getHints().getForZones(), ForZone::getName, "a zone name");
        List<String> nodeHints = hintNames(problems, path + ".hints.forNodes",
                e.getHints() == null ? null : e.getHints().getForNodes(), ForNode::getName, "a node name");
        return new EndpointInfo(addresses, c == null ? null : c.getReady(), c == null ? null : c.getServing(),
                c == null ? null : c.getTerminating(), e.getNodeName(), e.getZone(), zoneHints, nodeHints);
    }

    /**
     * The names of {@code hints.forZones} or {@code hints.forNodes}. An entry without a name is a problem (the API
     * server rejects it too), so the slice is rejected rather than half-hinted: a partly hinted endpoint would
     * silently turn topology off for its Service.
     */
    private static <T> List<String> hintNames(ConversionReport problems, String path, @Nullable List<T> hints,
            Function<T, String> name, String expected) {
        List<String> out = new ArrayList<>();
        for (int j = 0; hints != null && j < hints.size(); j++) {
            String n = hints.get(j) == null ? null : name.apply(hints.get(j));
            if (n == null || n.isEmpty()) {
                problems.missing(path + "[" + j + "].name", expected);
            } else {
                out.add(n);
            }
        }
        return out;
    }

    private static void addAddresses(ConversionReport problems, String path, List<EndpointAddress> addresses,
            boolean ready, Map<AddressType, List<EndpointInfo>> byFamily) {
        for (int j = 0; addresses != null && j < addresses.size(); j++) {
            if (addresses.get(j) == null) {
                problems.missing(path + "[" + j + "]", "an address");
                continue;
            }
            InetAddress ip = KubernetesObjects.ip(problems, path + "[" + j + "].ip", addresses.get(j).getIp());
            if (ip != null) {
                EndpointInfo info = new EndpointInfo(List.of(ip), ready, null, null, addresses.get(j).getNodeName(),
                        null, List.of());
                byFamily.computeIfAbsent(AddressType.of(ip), f -> new ArrayList<>()).add(info);
            }
        }
    }

    private static @Nullable InetAddress familyIp(ConversionReport problems, String path, String value,
            AddressType type) {
        InetAddress ip = KubernetesObjects.ip(problems, path, value);
        if (ip != null && !type.matches(ip)) {
            problems.invalid(path, value, "an " + type.apiName() + " address, as addressType says");
            return null;
        }
        return ip;
    }
}
