package io.userspaceproxy.agent.testing;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The smallest cluster a netns test needs: a "node" namespace linked to a "pod" (10.244.1.2, a TCP echo server
 * {@code pod-a} on port 8080, behind the node's 10.244.1.1) and to a "client" (10.244.2.2, behind the node's
 * 10.244.2.1), each routing through the node. Closing removes all three namespaces and what runs in them.
 */
public final class NodePodClient implements AutoCloseable {

    public final Netns node;
    public final Netns pod;
    public final Netns client;

    private NodePodClient(Netns node, Netns pod, Netns client) {
        this.node = node;
        this.pod = pod;
        this.client = client;
    }

    /** Creates the namespaces and starts the pod's echo server, logging to {@code dir/pod.log}. */
    public static NodePodClient create(Path dir) throws IOException {
        Netns node = Netns.create("usp-node");
        Netns pod = Netns.create("usp-pod");
        Netns client = Netns.create("usp-client");
        NodePodClient c = new NodePodClient(node, pod, client);
        Netns.link(node, "to-pod", "10.244.1.1/24", pod, "eth0", "10.244.1.2/24");
        Netns.link(node, "to-client", "10.244.2.1/24", client, "eth0", "10.244.2.2/24");
        pod.ip("route", "add", "default", "via", "10.244.1.1");
        client.ip("route", "add", "default", "via", "10.244.2.1");
        pod.spawn(Netns.javaMain(NetnsEchoServer.class, "tcp", "10.244.1.2", "8080", "pod-a"), dir.resolve("pod.log"));
        return c;
    }

    /** A NodePort Service {@code name} on {@code vip}:80 and {@code nodePort}, served by the pod, as manifests. */
    public static String service(String name, String vip, int nodePort) {
        return """
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s, namespace: shop}
                spec:
                  type: NodePort
                  clusterIP: %2$s
                  ports:
                  - {name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: %3$d}
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata:
                  name: %1$s-1
                  namespace: shop
                  labels: {kubernetes.io/service-name: %1$s}
                addressType: IPv4
                ports:
                - {name: http, protocol: TCP, port: 8080}
                endpoints:
                - addresses: ["10.244.1.2"]
                  conditions: {ready: true}
                """.formatted(name, vip, nodePort);
    }

    @Override
    public void close() {
        for (Netns ns : new Netns[] {client, pod, node}) {
            ns.close();
        }
    }
}
