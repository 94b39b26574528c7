package io.userspaceproxy.agent.config;

import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The {@code ip:port} of a bind address, as the flags and the config file spell it. */
final class HostPort {

    private HostPort() {
    }

    /** {@code ip:port} with an IP literal (IPv6 in brackets) and a port in 0..65535; never a host name. */
    static InetSocketAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        String port = colon < 0 ? "" : text.substring(colon + 1);
        if (host.isEmpty() || (host.indexOf(':') >= 0 && !host.startsWith("["))
                || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("\"" + text + "\" (expected: ip:port, such as 0.0.0.0:10256 or [::]:10256)");
        }
        InetAddress address = IpAddresses.parse(host);
        return new InetSocketAddress(address, Integer.parseInt(port));
    }
}
