package io.userspaceproxy.core.model;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One backend a service port relays to: a resolved pod address and target port. Built off the event loop
 * at sync time, so the hot path routes with a ready {@link InetSocketAddress} and never parses a string.
 */
public record Endpoint(InetSocketAddress address) {

    public Endpoint {
        Objects.requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address: " + address + " (expected: a resolved IP address)");
        }
    }

    public static Endpoint of(String ip, int port) {
        return new Endpoint(new InetSocketAddress(IpAddresses.parse(ip), port));
    }

    @Override
    public String toString() {
        return IpAddresses.format(address);
    }
}
