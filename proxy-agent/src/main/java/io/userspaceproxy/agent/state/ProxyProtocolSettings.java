package io.userspaceproxy.agent.state;

import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A Service's PROXY protocol annotations, as validated: {@code userspace-proxy.io/proxy-protocol} (the header sent
 * to its backends), {@code userspace-proxy.io/proxy-protocol-ports} (the port names that send it; empty for all)
 * and {@code userspace-proxy.io/accept-proxy-protocol} (the sources that must send one).
 *
 * @param send       the header version sent to backends
 * @param ports      names of the service ports that send it; empty means every port
 * @param acceptFrom sources whose connections must start with a header
 */
public record ProxyProtocolSettings(ProxyProtocolOptions.Version send, Set<String> ports, List<Cidr> acceptFrom) {

    public static final ProxyProtocolSettings NONE =
            new ProxyProtocolSettings(ProxyProtocolOptions.Version.NONE, Set.of(), List.of());

    public ProxyProtocolSettings {
        Objects.requireNonNull(send, "send");
        ports = Set.copyOf(ports);
        acceptFrom = List.copyOf(acceptFrom);
    }

    /** What {@code port}'s routes do: only TCP carries the header, and only named ports when names are given. */
    public ProxyProtocolOptions forPort(ServicePortInfo port) {
        if (port.protocol() != Protocol.TCP || this.equals(NONE)) {
            return ProxyProtocolOptions.NONE;
        }
        boolean sends = ports.isEmpty() || ports.contains(port.name());
        return new ProxyProtocolOptions(sends ? send : ProxyProtocolOptions.Version.NONE, acceptFrom);
    }
}
