package io.userspaceproxy.agent.watch.convert;

import io.userspaceproxy.agent.state.ProxyProtocolSettings;
import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads a Service's PROXY protocol annotations. A value that cannot be read makes the Service invalid, as any other
 * malformed field does (logged with the annotation and the value, counted in
 * {@code userspace_proxy_invalid_objects_total}): a backend that expects a header must not silently get none.
 */
final class ProxyProtocolAnnotations {

    static final String SEND = "userspace-proxy.io/proxy-protocol";
    static final String PORTS = "userspace-proxy.io/proxy-protocol-ports";
    static final String ACCEPT = "userspace-proxy.io/accept-proxy-protocol";

    private ProxyProtocolAnnotations() {
    }

    /** The settings the annotations ask for; {@link ProxyProtocolSettings#NONE} without any. */
    static ProxyProtocolSettings read(Map<String, String> annotations, ConversionReport problems) {
        String send = annotations.get(SEND);
        String ports = annotations.get(PORTS);
        String accept = annotations.get(ACCEPT);
        if (send == null && ports == null && accept == null) {
            return ProxyProtocolSettings.NONE;
        }
        return new ProxyProtocolSettings(version(send, problems), names(ports), cidrs(accept, problems));
    }

    private static ProxyProtocolOptions.Version version(@Nullable String value, ConversionReport problems) {
        if (value == null || value.isBlank()) {
            return ProxyProtocolOptions.Version.NONE;
        }
        switch (value.trim()) {
            case "v1":
                return ProxyProtocolOptions.Version.V1;
            case "v2":
                return ProxyProtocolOptions.Version.V2;
            default:
                problems.invalid(ServiceAnnotations.path(SEND), value, "v1 or v2");
                return ProxyProtocolOptions.Version.NONE;
        }
    }

    private static Set<String> names(@Nullable String value) {
        Set<String> names = new LinkedHashSet<>();
        if (value != null) {
            for (String name : value.split(",")) {
                if (!name.isBlank()) {
                    names.add(name.trim());
                }
            }
        }
        return names;
    }

    private static List<Cidr> cidrs(@Nullable String value, ConversionReport problems) {
        List<Cidr> cidrs = new ArrayList<>();
        if (value == null) {
            return cidrs;
        }
        for (String text : value.split(",")) {
            try {
                cidrs.add(Cidr.parse(text.trim()));
            } catch (IllegalArgumentException e) {
                problems.invalid(ServiceAnnotations.path(ACCEPT), text.trim(), "comma-separated CIDRs such as 10.0.0.0/8,192.168.0.0/16");
            }
        }
        return cidrs;
    }
}
