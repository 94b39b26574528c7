package io.userspaceproxy.agent.watch.convert;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.NodeInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.Protocol;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Converts fabric8 Services, EndpointSlices, Endpoints and Nodes into {@code agent.state} records, validating what the
 * proxy relies on. Shared by every source (manifest files, API informers), so the same object is judged the same
 * way wherever it comes from.
 *
 * <p>An object that cannot be served as written is rejected whole with an {@link InvalidResourceException} that
 * lists every problem ({@code Service demo/echo: spec.ports[0].port: 70000 (expected: 1..65535)}). Something the
 * proxy ignores while serving the rest (an SCTP port) is reported to {@code warnings}, one sentence per call.
 * Objects without a namespace are in {@value #DEFAULT_NAMESPACE}, like {@code kubectl apply} puts them.
 *
 * <p>Annotations read on Services:
 * <ul>
 *   <li>{@value #UDP_TIMEOUT_ANNOTATION}: how long a UDP flow of this Service may stay idle before it expires,
 *       as a Go duration ({@code 250ms}, {@code 5s}, {@code 1m30s}); overrides {@code --udp-timeout};</li>
 *   <li>{@value #TOPOLOGY_MODE_ANNOTATION} (or the legacy {@value #TOPOLOGY_AWARE_HINTS_ANNOTATION}):
 *       {@code Auto} asks for zone-aware routing, like {@code trafficDistribution: PreferClose};</li>
 *   <li>{@value #LOAD_BALANCER_ANNOTATION}: {@code round-robin}, {@code least-connections} or {@code maglev};</li>
 *   <li>{@value #OUTLIER_DETECTION_ANNOTATION}: {@code off}, or how endpoints whose connects fail are ejected;</li>
 *   <li>{@value #HEALTH_CHECK_ANNOTATION}: {@code tcp}, an active connect check of every endpoint;</li>
 *   <li>{@value #ON_ENDPOINT_REMOVAL_ANNOTATION} and {@value #MAX_CONNECTION_AGE_ANNOTATION}: what ends a TCP
 *       connection early;</li>
 *   <li>the PROXY protocol's, read by {@link ProxyProtocolAnnotations}.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe; never modifies its inputs (safe on informer cache objects); never blocks (IP
 * literals are parsed without DNS).
 */
public final class KubernetesObjects {

    public static final String DEFAULT_NAMESPACE = "default";
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    public static final String UDP_TIMEOUT_ANNOTATION = "userspace-proxy.io/udp-timeout";
    public static final String OUTLIER_DETECTION_ANNOTATION = "userspace-proxy.io/outlier-detection";
    public static final String LOAD_BALANCER_ANNOTATION = "userspace-proxy.io/load-balancer";
    public static final String HEALTH_CHECK_ANNOTATION = "userspace-proxy.io/health-check";
    public static final String ON_ENDPOINT_REMOVAL_ANNOTATION = "userspace-proxy.io/on-endpoint-removal";
    public static final String MAX_CONNECTION_AGE_ANNOTATION = "userspace-proxy.io/max-connection-age";
    public static final String HOLD_WHEN_EMPTY_ANNOTATION = "userspace-proxy.io/hold-when-empty";
    public static final String HOLD_LIMIT_ANNOTATION = "userspace-proxy.io/hold-limit";
    public static final String TOPOLOGY_MODE_ANNOTATION = "service.kubernetes.io/topology-mode";
    public static final String TOPOLOGY_AWARE_HINTS_ANNOTATION = "service.kubernetes.io/topology-aware-hints";
    /** On EndpointSlices: when the change that this version of the slice reflects was triggered. */
    public static final String LAST_CHANGE_TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time";
    /** On Nodes: the node's zone, which topology hints name. */
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";

    private KubernetesObjects() {
    }

    /**
     * @throws InvalidResourceException listing every problem when the Service cannot be served as written
     */
    public static ServiceInfo service(Service service, Consumer<String> warnings) {
        return new ServiceConversion(service, warnings).convert();
    }

    /**
     * The slice, with its {@value #LAST_CHANGE_TRIGGER_TIME_ANNOTATION} when set (a malformed one is a warning).
     *
     * @throws InvalidResourceException listing every problem, including an {@code FQDN} address type and a
     *                                  missing {@value #SERVICE_NAME_LABEL} label
     */
    public static EndpointSliceInfo endpointSlice(EndpointSlice slice, Consumer<String> warnings) {
        return EndpointConversion.slice(slice, warnings);
    }

    /**
     * Converts a legacy {@code v1/Endpoints} into the slices it is equivalent to: one per subset and IP family,
     * named {@code <name>/subsets[<i>]/<family>} (a name no real EndpointSlice can have), for the Service of the
     * same name. {@code addresses} become ready endpoints and {@code notReadyAddresses} not-ready ones, as the
     * EndpointSlice mirroring controller does. An Endpoints without subsets gives an empty list.
     *
     * @throws InvalidResourceException listing every problem
     */
    public static List<EndpointSliceInfo> endpoints(Endpoints endpoints, Consumer<String> warnings) {
        return EndpointConversion.endpoints(endpoints, warnings);
    }

    /**
     * What the proxy uses of its own Node: the {@value #ZONE_LABEL} label, the IP addresses of
     * {@code status.addresses} (host names skipped), whether it is being deleted, and its taint keys. Never
     * rejects: a Node the API server accepted is always usable.
     */
    public static NodeInfo node(Node node) {
        return NodeConversion.convert(node);
    }

    static String namespaceOf(@Nullable ObjectMeta meta) {
        String ns = meta == null ? null : meta.getNamespace();
        return ns == null || ns.isEmpty() ? DEFAULT_NAMESPACE : ns;
    }

    /** The object's reference; {@code <unnamed>} stands in for a missing name, which {@link #requireName} reports. */
    public static ObjectRef refOf(@Nullable ObjectMeta meta) {
        String name = meta == null ? null : meta.getName();
        return new ObjectRef(namespaceOf(meta), name == null || name.isEmpty() ? "<unnamed>" : name);
    }

    static void requireName(ConversionReport problems, @Nullable ObjectMeta meta) {
        if (meta == null || meta.getName() == null || meta.getName().isEmpty()) {
            problems.missing("metadata.name", "a non-empty name");
        }
    }

    /** The address, or null after reporting {@code value} when it is not an IP literal. */
    static @Nullable InetAddress ip(ConversionReport problems, String path, String value) {
        try {
            return IpAddresses.parse(value);
        } catch (IllegalArgumentException e) {
            problems.invalid(path, value, "an IP address");
            return null;
        }
    }

    /**
     * TCP when absent; null for SCTP, which the caller skips with a warning; otherwise reports the value and
     * returns TCP as a placeholder (the object is rejected anyway).
     */
    static @Nullable Protocol protocol(ConversionReport problems, String path, @Nullable String value) {
        if (value == null || value.isEmpty() || "TCP".equals(value)) {
            return Protocol.TCP;
        }
        if ("UDP".equals(value)) {
            return Protocol.UDP;
        }
        if ("SCTP".equals(value)) {
            return null;
        }
        problems.invalid(path, value, "TCP or UDP");
        return Protocol.TCP;
    }
}
