package io.userspaceproxy.agent.state;

import io.userspaceproxy.core.model.Protocol;
import java.util.Objects;

/**
 * One entry of an EndpointSlice's {@code ports}: where the slice's endpoints listen for the Service port of the
 * same {@code name} and {@code protocol}.
 *
 * @param name     the Service port name it serves; {@code ""} for an unnamed port
 * @param protocol TCP or UDP
 * @param port     the backend port (1..65535)
 */
public record EndpointPortInfo(String name, Protocol protocol, int port) {

    public EndpointPortInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
        }
    }

    public static EndpointPortInfo of(String name, Protocol protocol, int port) {
        return new EndpointPortInfo(name, protocol, port);
    }
}
