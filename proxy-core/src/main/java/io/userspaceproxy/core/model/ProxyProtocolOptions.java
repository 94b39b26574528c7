package io.userspaceproxy.core.model;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * The PROXY protocol on one route: whether each backend connection starts with a header naming the client (and
 * which version of the header), and which clients must start their own connection with one.
 *
 * @param send       the header written to the backend before any relayed byte, or {@link Version#NONE}
 * @param acceptFrom sources whose connections to this route must begin with a header (v1 or v2), whose client is
 *                   then the one the header names; empty requires none. Only for Service addresses outside the
 *                   cluster (NodePort, external, load-balancer): a ClusterIP route never reads a header.
 */
public record ProxyProtocolOptions(Version send, List<Cidr> acceptFrom) {

    /** No header either way: today's behaviour. */
    public static final ProxyProtocolOptions NONE = new ProxyProtocolOptions(Version.NONE, List.of());

    /** Which header a backend connection starts with. */
    public enum Version {
        NONE,
        /** The text header: {@code PROXY TCP4 <src> <dst> <sport> <dport>\r\n}. */
        V1,
        /** The binary header. */
        V2
    }

    public ProxyProtocolOptions {
        Objects.requireNonNull(send, "send");
        acceptFrom = List.copyOf(acceptFrom);
    }

    /** Whether a connection from {@code client} to a listener of {@code frontend} must start with a header. */
    public boolean mustReadHeader(FrontendKind frontend, InetAddress client) {
        return !acceptFrom.isEmpty() && frontend.isExternal() && Cidr.admits(acceptFrom, client);
    }
}
