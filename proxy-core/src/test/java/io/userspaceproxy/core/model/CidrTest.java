package io.userspaceproxy.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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
        "10.1.2.3/8, 10.200.0.1, true",
        "128.0.0.0/1, 255.255.255.255, true",
        "128.0.0.0/1, 127.255.255.255, false",
        "10.0.0.0/7, 11.255.0.1, true",
        "10.0.0.0/7, 12.0.0.1, false",
        "::/0, 10.0.0.1, false",
        "fd00::/7, fcff::1, true",
        "fd00::/7, fe00::1, false",
        "::1/128, ::1, true"
    })
    void contains_address_matchesPrefix(String cidr, String ip, boolean expected) {
        assertThat(Cidr.parse(cidr).contains(IpAddresses.parse(ip))).isEqualTo(expected);
    }

    @Test
    void contains_ipv4_readsTheAddressFromHashCodeAsOpenJdkDefinesIt() {
        // The allocation-free IPv4 check relies on this; a JDK where it does not hold must fail here first.
        assertThat(IpAddresses.parse("203.0.113.9").hashCode()).isEqualTo(203 << 24 | 113 << 8 | 9);
        assertThat(IpAddresses.parse("255.255.255.254").hashCode()).isEqualTo(-2);
    }

    @Test
    void admits_emptyRanges_admitsEveryone() {
        assertThat(Cidr.admits(List.of(), IpAddresses.parse("203.0.113.9"))).isTrue();
    }

    @Test
    void admits_clientInOneOfSeveralRanges_admits() {
        List<Cidr> ranges = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("203.0.113.0/24"));

        assertThat(Cidr.admits(ranges, IpAddresses.parse("203.0.113.9"))).isTrue();
        assertThat(Cidr.admits(ranges, IpAddresses.parse("198.51.100.1"))).isFalse();
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
