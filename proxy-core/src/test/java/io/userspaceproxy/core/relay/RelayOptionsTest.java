package io.userspaceproxy.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RelayOptionsTest {

    private static final RelayOptions D = RelayOptions.DEFAULT;

    @Test
    void defaults_areTheLegacyScheduleEnvoysIdleTimeoutAndSmallWaterMarks() {
        assertThat(D.connectTimeouts()).containsExactly(Duration.ofMillis(250), Duration.ofMillis(500),
                Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(D.tcpIdleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(D.writeBufferLowWaterMark()).isEqualTo(32 * 1024);
        assertThat(D.writeBufferHighWaterMark()).isEqualTo(64 * 1024);
        assertThat(D.isIdleTimeoutEnabled()).isTrue();
    }

    @Test
    void tcpIdleTimeout_zero_disablesIt() {
        assertThat(D.withTcpIdleTimeout(Duration.ZERO).isIdleTimeoutEnabled()).isFalse();
    }

    @Test
    void connectTimeouts_callerListChangesLater_optionsKeepTheirCopy() {
        List<Duration> timeouts = new ArrayList<>(List.of(Duration.ofSeconds(1)));
        RelayOptions options = D.withConnectTimeouts(timeouts);

        timeouts.add(Duration.ofSeconds(2));

        assertThat(options.connectTimeouts()).containsExactly(Duration.ofSeconds(1));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                invalid("no connect attempt", () -> D.withConnectTimeouts(List.of()),
                        "connectTimeouts: [] (expected: at least one attempt)"),
                invalid("a zero connect timeout",
                        () -> D.withConnectTimeouts(List.of(Duration.ofSeconds(1), Duration.ZERO)),
                        "connectTimeouts[1]: PT0S (expected: >= PT0.001S and <= PT596H31M23.647S)"),
                invalid("a connect timeout too long for Netty",
                        () -> D.withConnectTimeouts(List.of(Duration.ofDays(30))),
                        "connectTimeouts[0]: PT720H (expected: >= PT0.001S and <= PT596H31M23.647S)"),
                invalid("a negative idle timeout", () -> D.withTcpIdleTimeout(Duration.ofSeconds(-1)),
                        "tcpIdleTimeout: PT-1S (expected: >= 0, 0 disables)"),
                invalid("an idle timeout below a millisecond", () -> D.withTcpIdleTimeout(Duration.ofNanos(1)),
                        "tcpIdleTimeout: PT0.000000001S (expected: >= PT0.001S and <= PT596H31M23.647S)"),
                invalid("a zero low water mark", () -> D.withWriteBufferWaterMarks(0, 1024),
                        "writeBufferLowWaterMark: 0 (expected: > 0)"),
                invalid("a high water mark below the low one", () -> D.withWriteBufferWaterMarks(2048, 1024),
                        "writeBufferHighWaterMark: 1024 (expected: >= writeBufferLowWaterMark 2048)"));
    }

    private static Arguments invalid(String name, Supplier<RelayOptions> options, String message) {
        return Arguments.of(Named.of(name, options), message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void new_invalidValue_failsNamingFieldValueAndExpectation(Supplier<RelayOptions> options, String message) {
        assertThatThrownBy(options::get).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }
}
