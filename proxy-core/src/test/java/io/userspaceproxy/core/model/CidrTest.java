package io.userspaceproxy.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
        "127.0.0.0/8, 127.0.10.1, true",
        "127.0.0.0/8, 128.0.0.1, false",
        "10.96.0.0/12, 10.111.255.255, true",
        "10.96.0.0/12, 10.112.0.0, false",
        "0.0.0.0/0, 203.0.113.9, true",
        "192.0.2.7, 192.0.2.7, true",
        "192.0.2.7, 192.0.2.8, false",
        "fd00::/64, fd00::1234, true",
        "fd00::/64, fd00:0:0:1::1, false",
        "10.0.0.0/8, fd00::1, false",
        "10.1.2.3/8, 10.200.0.1, true"
    })
    void contains_address_matchesPrefix(String cidr, String ip, boolean expected) {
        assertThat(Cidr.parse(cidr).contains(IpAddresses.parse(ip))).isEqualTo(expected);
    }

    @Test
    void parse_hostBitsSet_normalisesNetwork() {
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
        assertThat(Cidr.parse("10.1.2.3/8")).hasToString("10.0.0.0/8");
    }

    @Test
    void parse_lengthOutOfRange_failsWithExpectedRange() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"10.0.0.0/33\" is not a CIDR (expected: length 0..32)");
    }

    @Test
    void parse_badAddress_failsNamingIt() {
        assertThatThrownBy(() -> Cidr.parse("10.0.0/8")).hasMessage("\"10.0.0\" is not an IP address");
    }
}
