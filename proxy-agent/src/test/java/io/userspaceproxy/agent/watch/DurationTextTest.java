package io.userspaceproxy.agent.watch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationTextTest {

    @ParameterizedTest
    @CsvSource({"250ms, PT0.25S", "5s, PT5S", "1m30s, PT1M30S", "1.5h, PT1H30M", "100us, PT0.0001S", "2h0m1s, PT2H1S"})
    void parse_goSyntax_givesDuration(String text, Duration expected) {
        assertThat(DurationText.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "s", "5 s", "-5s", "5sec", "1d", "5s5", "PT5S"})
    void parse_otherSyntax_givesNull(String text) {
        assertThat(DurationText.parse(text)).isNull();
    }
}
