package io.userspaceproxy.agent.watch.manifests;

import io.userspaceproxy.agent.state.EndpointSliceInfo;
import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.state.ServiceInfo;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The objects one manifest file defines, in document order, and what was ignored in it.
 *
 * @param warnings one sentence per thing ignored (an SCTP port, a Deployment in the same file)
 */
record ManifestContent(
        Map<ObjectRef, ServiceInfo> services,
        Map<ObjectRef, EndpointSliceInfo> slices,
        List<String> warnings) {

    static final ManifestContent EMPTY = new ManifestContent(Map.of(), Map.of(), List.of());

    ManifestContent {
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        slices = Collections.unmodifiableMap(new LinkedHashMap<>(slices));
        warnings = List.copyOf(warnings);
    }
}
