package io.userspaceproxy.core.model;

import java.util.Objects;

/**
 * Identity of one port of one Service, as kube-proxy names it: {@code namespace/name:portName}.
 * The port name is empty for a single-port Service whose port has no name. Port names are unique within a
 * Service, so the protocol is carried for routing but not needed to tell two ports apart.
 */
public record ServicePortName(String namespace, String name, String port, Protocol protocol) {

    public ServicePortName {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(port, "port");
        Objects.requireNonNull(protocol, "protocol");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("name: \"\" (expected: a non-empty Service name)");
        }
    }

    /** The Service this port belongs to, as {@code namespace/name}. */
    public String serviceName() {
        return namespace + "/" + name;
    }

    @Override
    public String toString() {
        return port.isEmpty() ? serviceName() : serviceName() + ":" + port;
    }
}
