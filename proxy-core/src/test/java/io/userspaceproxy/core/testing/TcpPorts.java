package io.userspaceproxy.core.testing;

import io.userspaceproxy.core.model.Endpoint;
import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback addresses for tests: free ports to bind VIP listeners on, and endpoints that refuse connections. */
public final class TcpPorts {

    private TcpPorts() {
    }

    /**
     * A socket address on {@code ip} (a loopback address such as {@code 127.0.10.1}) whose port was free a moment
     * ago: the kernel chose it as ephemeral, so other tests asking the same way will not be handed it again soon.
     */
    public static InetSocketAddress freeAddress(String ip) {
        InetAddress address = IpAddresses.parse(ip);
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException(ip + " (expected: a loopback address; tests never leave the host)");
        }
        try (ServerSocket probe = new ServerSocket(0, 1, address)) {
            return new InetSocketAddress(address, probe.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An endpoint on 127.0.0.1 where nothing listens, so a connect to it is refused at once. */
    public static Endpoint refusingEndpoint() {
        return new Endpoint(freeAddress("127.0.0.1"));
    }
}
