package io.userspaceproxy.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest
    @ValueSource(strings = {"10.96.0.1", "127.0.10.1", "0.0.0.0", "255.255.255.255"})
    void parse_ipv4Literal_returnsInet4Address(String literal) {
        assertThat(IpAddresses.parse(literal)).isInstanceOf(Inet4Address.class);
        assertThat(IpAddresses.parse(literal).getHostAddress()).isEqualTo(literal);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fd00::1", "::1", "[fd00::10]", "2001:db8::8:800:200c:417a"})
    void parse_ipv6Literal_returnsInet6Address(String literal) {
        assertThat(IpAddresses.parse(literal)).isInstanceOf(Inet6Address.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10.96.0", "10.96.0.256", "10.96.0.01", "example.com", "localhost", "10.0.0.1.2",
        "fd00::g", "1.2.3.-4"})
    void parse_notALiteral_failsNamingTheValueWithoutLookingItUp(String bad) {
        assertThatThrownBy(() -> IpAddresses.parse(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + bad + "\" is not an IP address");
    }
}
