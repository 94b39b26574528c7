package io.userspaceproxy.agent.net;

import io.userspaceproxy.core.model.Cidr;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * This node's addresses that serve NodePorts: the local interface addresses inside the {@code --nodeport-addresses}
 * prefixes, as kube-proxy picks them. Read again at every sync, because addresses come and go.
 */
public final class NodeAddresses {

    private NodeAddresses() {
    }

    /** The local addresses inside any of {@code prefixes}, sorted, without duplicates. */
    public static List<InetAddress> within(List<Cidr> prefixes) {
        return within(prefixes, NodeAddresses::localAddresses);
    }

    static List<InetAddress> within(List<Cidr> prefixes, Supplier<List<InetAddress>> local) {
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : local.get()) {
            if (a.isLinkLocalAddress() || out.contains(a)) {
                continue;
            }
            for (Cidr c : prefixes) {
                if (c.contains(a)) {
                    out.add(a);
                    break;
                }
            }
        }
        out.sort(Comparator.comparing(InetAddress::getHostAddress));
        return out;
    }

    /** Every address of every interface that is up, including loopback and link-local ones. */
    public static List<InetAddress> local() {
        return localAddresses();
    }

    private static List<InetAddress> localAddresses() {
        try {
            List<InetAddress> all = new ArrayList<>();
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nif.isUp()) {
                    all.addAll(Collections.list(nif.getInetAddresses()));
                }
            }
            return all;
        } catch (SocketException e) {
            throw new IllegalStateException("cannot list the node's addresses: " + e.getMessage(), e);
        }
    }
}
