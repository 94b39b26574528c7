package io.userspaceproxy.agent.testing;

import io.userspaceproxy.core.model.Endpoint;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Service and EndpointSlice YAML for tests of the manifest source: one TCP port, one slice per endpoint. */
public final class Manifests {

    private Manifests() {
    }

    /** A ClusterIP Service {@code namespace/name} on {@code vip} with one TCP port named {@code tcp}. */
    public static String service(String namespace, String name, InetSocketAddress vip) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: %s}
                spec:
                  clusterIP: %s
                  ports: [{name: tcp, protocol: TCP, port: %d, targetPort: 1}]
                """.formatted(name, namespace, vip.getAddress().getHostAddress(), vip.getPort());
    }

    /** {@link #service}, with {@code annotations} on it (values quoted as YAML strings). */
    public static String service(String namespace, String name, InetSocketAddress vip,
            java.util.Map<String, String> annotations) {
        StringBuilder meta = new StringBuilder("metadata: {name: " + name + ", namespace: " + namespace
                + ", annotations: {");
        annotations.forEach((k, v) -> meta.append(k).append(": \"").append(v).append("\", "));
        return service(namespace, name, vip).replace("metadata: {name: " + name + ", namespace: " + namespace + "}",
                meta.append("}}"));
    }

    /** One EndpointSlice per endpoint (each slice has one port), joined to the Service {@code name}. */
    public static String slices(String namespace, String name, Endpoint... endpoints) {
        List<String> docs = new ArrayList<>();
        for (Endpoint e : endpoints) {
            docs.add("""
                    apiVersion: discovery.k8s.io/v1
                    kind: EndpointSlice
                    metadata: {name: %s-%d, namespace: %s, labels: {kubernetes.io/service-name: %s}}
                    addressType: IPv4
                    ports: [{name: tcp, protocol: TCP, port: %d}]
                    endpoints: [{addresses: ["%s"]}]
                    """.formatted(name, e.address().getPort(), namespace, name, e.address().getPort(),
                    e.address().getAddress().getHostAddress()));
        }
        return String.join("---\n", docs);
    }

    /** A Service and its slices in one multi-document file. */
    public static String serviceWithEndpoints(String namespace, String name, InetSocketAddress vip,
            Endpoint... endpoints) {
        return service(namespace, name, vip) + "---\n" + slices(namespace, name, endpoints);
    }
}
