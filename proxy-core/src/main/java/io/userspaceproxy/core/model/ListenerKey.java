package io.userspaceproxy.core.model;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What a listener binds: a protocol and a resolved local socket address. Two service ports that want the same
 * key conflict (for example two Services claiming one NodePort); the snapshot builder keeps one.
 */
public record ListenerKey(Protocol protocol, InetSocketAddress address) {

    public ListenerKey {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address: " + address + " (expected: a resolved IP address)");
        }
    }

    public static ListenerKey of(Protocol protocol, InetSocketAddress address) {
        return new ListenerKey(protocol, address);
    }

    @Override
    public String toString() {
        return protocol + " " + IpAddresses.format(address);
    }
}
