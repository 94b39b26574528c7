package io.userspaceproxy.agent.state;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * {@code addressType} of an EndpointSlice: the IP family of every address in it. {@code FQDN} slices are not
 * represented: kube-proxy ignores them and so does this proxy.
 */
public enum AddressType {
    IPV4("IPv4"),
    IPV6("IPv6");

    private final String apiName;

    AddressType(String apiName) {
        this.apiName = apiName;
    }

    public String apiName() {
        return apiName;
    }

    /** True when {@code address} belongs to this family. */
    public boolean matches(InetAddress address) {
        return this == IPV4 ? address instanceof Inet4Address : address instanceof Inet6Address;
    }

    /** The family of {@code address}. */
    public static AddressType of(InetAddress address) {
        return address instanceof Inet4Address ? IPV4 : IPV6;
    }
}
