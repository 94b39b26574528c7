package io.userspaceproxy.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Cidr;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class NodeAddressesTest {

    private static List<InetAddress> addrs(String... ips) {
        return Stream.of(ips).map(IpAddresses::parse).toList();
    }

    @Test
    void within_mixedInterfaces_keepsOnlyThoseInsidePrefixesSortedAndUnique() {
        List<InetAddress> local = addrs("192.168.1.5", "127.0.0.1", "10.0.0.7", "fe80::1", "10.0.0.7", "fd00::5");

        List<InetAddress> picked = NodeAddresses.within(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"),
                Cidr.parse("fe80::/10")), () -> local);

        // Link-local addresses never serve NodePorts, even when a prefix covers them.
        assertThat(picked).containsExactlyElementsOf(addrs("10.0.0.7", "fd00:0:0:0:0:0:0:5"));
    }

    @Test
    void within_loopbackPrefix_findsTheRealLoopbackAddress() {
        assertThat(NodeAddresses.within(List.of(Cidr.parse("127.0.0.0/8")))).contains(IpAddresses.parse("127.0.0.1"));
    }
}
