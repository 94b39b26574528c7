package io.userspaceproxy.agent.state;

import io.userspaceproxy.core.model.Protocol;
import java.util.Objects;

/**
 * One entry of a Service's {@code spec.ports}.
 *
 * @param name       the port name; {@code ""} for the single unnamed port of a one-port Service
 * @param protocol   TCP or UDP (SCTP ports never get this far: a userspace proxy cannot serve them)
 * @param port       the port the ClusterIPs, external IPs and load-balancer IPs listen on (1..65535)
 * @param targetPort where the pods listen, as a number or a container port name
 * @param nodePort   the node port (1..65535), or 0 when the port has none
 */
public record ServicePortInfo(String name, Protocol protocol, int port, TargetPort targetPort, int nodePort) {

    public ServicePortInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(targetPort, "targetPort");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
        if (nodePort < 0 || nodePort > 65535) {
            throw new IllegalArgumentException("nodePort: " + nodePort + " (expected: 0..65535)");
        }
    }

    /** A port whose target is the same number and that has no node port. */
    public static ServicePortInfo of(String name, Protocol protocol, int port) {
        return new ServicePortInfo(name, protocol, port, TargetPort.number(port), 0);
    }

    public ServicePortInfo withNodePort(int newNodePort) {
        return new ServicePortInfo(name, protocol, port, targetPort, newNodePort);
    }
}
