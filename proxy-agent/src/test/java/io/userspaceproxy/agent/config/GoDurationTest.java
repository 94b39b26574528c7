package io.userspaceproxy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Cases follow Go's own tests of time.ParseDuration and Duration.String. */
class GoDurationTest {

    private static final Duration MAX = Duration.ofNanos(Long.MAX_VALUE);
    private static final Duration MIN = Duration.ofNanos(Long.MIN_VALUE);

    static Stream<Arguments> parses() {
        return Stream.of(
                arguments("0", Duration.ZERO),
                arguments("-0", Duration.ZERO),
                arguments("+0", Duration.ZERO),
                arguments("250ms", Duration.ofMillis(250)),
                arguments("2s", Duration.ofSeconds(2)),
                arguments("1m30s", Duration.ofSeconds(90)),
                arguments("1h", Duration.ofHours(1)),
                arguments("-5s", Duration.ofSeconds(-5)),
                arguments("+5s", Duration.ofSeconds(5)),
                arguments("5.6s", Duration.ofMillis(5600)),
                arguments("5.s", Duration.ofSeconds(5)),
                arguments(".5s", Duration.ofMillis(500)),
                arguments("1.004s", Duration.ofMillis(1004)),
                arguments("100.00100s", Duration.ofMillis(100_001)),
                arguments("10ns", Duration.ofNanos(10)),
                arguments("11us", Duration.ofNanos(11_000)),
                arguments("12\u00b5s", Duration.ofNanos(12_000)),
                arguments("12\u03bcs", Duration.ofNanos(12_000)),
                arguments("13ms", Duration.ofMillis(13)),
                arguments("15m", Duration.ofMinutes(15)),
                arguments("3h30m", Duration.ofMinutes(210)),
                arguments("10.5s4m", Duration.ofMillis(250_500)),
                arguments("-2m3.4s", Duration.ofMillis(-123_400)),
                arguments("1h2m3s4ms5us6ns", Duration.ofNanos(3_723_004_005_006L)),
                arguments("39h9m14.425s", Duration.ofMillis(140_954_425)),
                arguments("9223372036854775.807us", MAX),
                arguments("0.3333333333333333333h", Duration.ofMinutes(20)),
                arguments("9007199254740993ns", Duration.ofNanos(9_007_199_254_740_993L)),
                arguments("9223372036854775807ns", MAX),
                arguments("-9223372036854775808ns", MIN),
                arguments("0.100000000000000000000h", Duration.ofMinutes(6)),
                arguments("0.830103483285477580700h", Duration.ofNanos(49 * 60_000_000_000L + 48_372_539_827L)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parses")
    void parse_goDuration_value(String text, Duration expected) {
        assertThat(GoDuration.parse(text)).isEqualTo(expected);
    }

    static Stream<Arguments> formats() {
        return Stream.of(
                arguments(Duration.ZERO, "0s"),
                arguments(Duration.ofNanos(1), "1ns"),
                arguments(Duration.ofNanos(1_100), "1.1\u00b5s"),
                arguments(Duration.ofNanos(2_200_000), "2.2ms"),
                arguments(Duration.ofMillis(250), "250ms"),
                arguments(Duration.ofMillis(3_300), "3.3s"),
                arguments(Duration.ofSeconds(245), "4m5s"),
                arguments(Duration.ofMillis(245_001), "4m5.001s"),
                arguments(Duration.ofMillis(18_367_001), "5h6m7.001s"),
                arguments(Duration.ofNanos(480_000_000_001L), "8m0.000000001s"),
                arguments(Duration.ofHours(1), "1h0m0s"),
                arguments(Duration.ofSeconds(-1), "-1s"),
                arguments(Duration.ofMillis(-1_500), "-1.5s"),
                arguments(MAX, "2562047h47m16.854775807s"),
                arguments(MIN, "-2562047h47m16.854775808s"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("formats")
    void format_duration_goString(Duration duration, String expected) {
        assertThat(GoDuration.format(duration)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("formats")
    void parse_formatted_roundTrips(Duration duration, String text) {
        assertThat(GoDuration.parse(GoDuration.format(duration))).isEqualTo(duration);
        assertThat(GoDuration.format(GoDuration.parse(text))).isEqualTo(text);
    }

    static Stream<Arguments> rejects() {
        return Stream.of(
                arguments("", "invalid duration \"\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("3", "missing unit in duration \"3\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("-", "invalid duration \"-\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("s", "invalid duration \"s\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments(".", "invalid duration \".\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("-.", "invalid duration \"-.\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments(".s", "invalid duration \".s\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("+.s", "invalid duration \"+.s\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("1d", "unknown unit \"d\" in duration \"1d\" (expected: ns, us, ms, s, m or h)"),
                arguments("2 s", "unknown unit \" s\" in duration \"2 s\" (expected: ns, us, ms, s, m or h)"),
                arguments("PT30S", "invalid duration \"PT30S\" (expected: a Go duration such as 250ms, 2s, 1m30s, 1h)"),
                arguments("30S", "unknown unit \"S\" in duration \"30S\" (expected: ns, us, ms, s, m or h)"),
                arguments("9223372036854775808ns",
                        "invalid duration \"9223372036854775808ns\" (expected: within \u00b12562047h47m16.854775807s)"),
                arguments("9223372036854775.808us",
                        "invalid duration \"9223372036854775.808us\" (expected: within \u00b12562047h47m16.854775807s)"),
                arguments("3000000h",
                        "invalid duration \"3000000h\" (expected: within \u00b12562047h47m16.854775807s)"),
                arguments("9223372036854775808ns9223372036854775808ns",
                        "invalid duration \"9223372036854775808ns9223372036854775808ns\" (expected: within \u00b12562047h47m16.854775807s)"),
                arguments("-9223372036854775809ns",
                        "invalid duration \"-9223372036854775809ns\" (expected: within \u00b12562047h47m16.854775807s)"));
    }

    @ParameterizedTest(name = "\"{0}\"")
    @MethodSource("rejects")
    void parse_invalid_rejectedWithReason(String text, String message) {
        assertThatThrownBy(() -> GoDuration.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfGoRange")
    void format_beyondGoRange_rejected(Duration duration) {
        assertThatThrownBy(() -> GoDuration.format(duration))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: within Go's range of \u00b12^63 ns");
    }

    static Stream<Duration> outOfGoRange() {
        return Stream.of(MAX.plusNanos(1), MIN.minusNanos(1), Duration.ofDays(200_000));
    }
}
