package io.userspaceproxy.bench;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.FrontendKind;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.Route;
import io.userspaceproxy.core.model.RouteSnapshot;
import io.userspaceproxy.core.model.ServicePortName;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A cluster of single-port TCP ClusterIP Services for the benchmarks to measure on, generated from a seed so that
 * every benchmark (and the iptables rule set) sees the same services in the same order.
 *
 * <p>Addresses follow a kubeadm-like layout: ClusterIPs from the service CIDR {@code 10.96.0.0/12}, pods from the
 * cluster CIDR {@code 10.128.0.0/9}, every pod a distinct address with target port 8080. The list comes in the
 * order kube-proxy's iptables mode writes its {@code KUBE-SERVICES} rules: it ranges over a Go map, so the order
 * is effectively random, and a connection's rule sits at a uniformly random depth. None of these addresses is
 * ever sent a packet by the JMH suite; they are values in tables.
 */
public final class SyntheticCluster {

    public static final String NAMESPACE = "bench";
    /** {@code 10.96.0.0}, the first address of the service CIDR /12. */
    public static final int SERVICE_NETWORK = 0x0A60_0000;
    /** {@code 10.128.0.0}, the first address of the cluster (pod) CIDR /9. */
    public static final int POD_NETWORK = 0x0A80_0000;
    public static final int POD_PREFIX_LENGTH = 9;
    public static final int TARGET_PORT = 8080;

    private static final int[] SERVICE_PORTS = {80, 443, 8080, 9090};
    private static final int MAX_SERVICES = (1 << 20) - 2;
    private static final int MAX_PODS = (1 << 23) - 2;

    /**
     * One service port: its name, the listener a userspace proxy binds for its ClusterIP, and its endpoints in the
     * order both round-robin and the iptables cascade walk them.
     */
    public record Service(ServicePortName name, ListenerKey listener, List<Endpoint> endpoints) {

        public Service {
            endpoints = List.copyOf(endpoints);
        }

        /** A new {@link Route} each call, as the control plane builds one per sync. */
        public Route route() {
            return Route.of(name, FrontendKind.CLUSTER_IP, endpoints);
        }

        /**
         * An equal service whose endpoints are all new objects (down to the addresses), the way a control plane
         * that rebuilds its state from EndpointSlices hands them over: equal, never identical.
         */
        public Service rebuilt() {
            List<Endpoint> copies = new ArrayList<>(endpoints.size());
            for (Endpoint e : endpoints) {
                copies.add(new Endpoint(new InetSocketAddress(ipv4(toInt(e.address().getAddress())),
                        e.address().getPort())));
            }
            return new Service(name, listener, copies);
        }

        public Service withEndpoint(int index, Endpoint replacement) {
            List<Endpoint> changed = new ArrayList<>(endpoints);
            changed.set(index, replacement);
            return new Service(name, listener, changed);
        }
    }

    private SyntheticCluster() {
    }

    /** {@code services} services of {@code endpointsPerService} endpoints each, in kube-proxy's write order. */
    public static List<Service> generate(int services, int endpointsPerService, long seed) {
        if (services < 1 || services > MAX_SERVICES) {
            throw new IllegalArgumentException("services: " + services + " (expected: 1.." + MAX_SERVICES + ")");
        }
        if (endpointsPerService < 1 || (long) services * endpointsPerService > MAX_PODS) {
            throw new IllegalArgumentException("endpointsPerService: " + endpointsPerService
                    + " (expected: >= 1 and services * endpointsPerService <= " + MAX_PODS + ")");
        }
        List<Service> list = new ArrayList<>(services);
        for (int i = 0; i < services; i++) {
            ServicePortName name = new ServicePortName(NAMESPACE, String.format("svc-%06d", i), "http", Protocol.TCP);
            InetSocketAddress vip = new InetSocketAddress(ipv4(SERVICE_NETWORK + 1 + i),
                    SERVICE_PORTS[i % SERVICE_PORTS.length]);
            List<Endpoint> endpoints = new ArrayList<>(endpointsPerService);
            for (int k = 0; k < endpointsPerService; k++) {
                endpoints.add(pod(i * endpointsPerService + k));
            }
            list.add(new Service(name, ListenerKey.of(Protocol.TCP, vip), endpoints));
        }
        Collections.shuffle(list, new Random(seed));
        return list;
    }

    /** The endpoint of the {@code index}-th pod of the cluster CIDR; indexes past the generated ones are unused. */
    public static Endpoint pod(int index) {
        return new Endpoint(new InetSocketAddress(ipv4(POD_NETWORK + 1 + index), TARGET_PORT));
    }

    /** The desired state for {@code services}: one ClusterIP listener each, with freshly built routes. */
    public static RouteSnapshot snapshot(List<Service> services) {
        Map<ListenerKey, Route> routes = new LinkedHashMap<>(services.size() * 4 / 3 + 1);
        for (Service s : services) {
            routes.put(s.listener(), s.route());
        }
        return new RouteSnapshot(routes);
    }

    /** {@code count} random client addresses inside the cluster CIDR (pods calling Services). */
    public static Inet4Address[] clients(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Inet4Address[] clients = new Inet4Address[count];
        int hostMask = (1 << (32 - POD_PREFIX_LENGTH)) - 1;
        for (int i = 0; i < count; i++) {
            clients[i] = ipv4(POD_NETWORK | (1 + random.nextInt(hostMask - 1)));
        }
        return clients;
    }

    /** The address with the given big-endian value; never asks a name service. */
    public static Inet4Address ipv4(int address) {
        byte[] bytes = {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    /** The big-endian value of {@code address}, as the kernel compares it. */
    public static int toInt(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException("address: " + address + " (expected: IPv4)");
        }
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
    }
}
