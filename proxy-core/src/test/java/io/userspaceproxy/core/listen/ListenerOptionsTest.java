package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenerOptionsTest {

    @Test
    void defaults_bestTransportOneLoopPerProcessor() {
        ListenerOptions defaults = ListenerOptions.defaults();

        assertThat(defaults.transport()).isEqualTo(Transport.best());
        assertThat(defaults.ioThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(defaults.bindTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void new_noIoThread_failsNamingTheField() {
        assertThatThrownBy(() -> ListenerOptions.defaults().withIoThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ioThreads: 0 (expected: > 0)");
    }

    @Test
    void new_zeroBindTimeout_failsNamingTheField() {
        assertThatThrownBy(() -> ListenerOptions.defaults().withBindTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bindTimeout: PT0S (expected: > 0)");
    }

    @Test
    void best_ioUringServesHere_prefersIoUring() {
        String whyNot = Transport.whyNotIoUring();
        assumeTrue(whyNot == null, () -> "io_uring would not serve here: " + whyNot);

        assertThat(Transport.best()).isEqualTo(Transport.IO_URING);
        assertThat(Transport.parse("auto")).isEqualTo(Transport.IO_URING);
    }

    @ParameterizedTest(name = "io_uring serves: {0}, epoll loads: {1} -> {2}")
    @CsvSource({
        "true,  true,  IO_URING",
        "false, true,  EPOLL",
        // UDP and the hand-over's socket need epoll beside io_uring; a machine without epoll gets the JDK's.
        "true,  false, NIO",
        "false, false, NIO",
    })
    void best_byWhatLoads(boolean ioUring, boolean epoll, Transport expected) {
        assertThat(Transport.best(ioUring, epoll)).isEqualTo(expected);
    }

    @Test
    void nio_alwaysAvailable() {
        assertThat(Transport.NIO.isAvailable()).isTrue();
        assertThat(Transport.NIO.requireAvailable()).isSameAs(Transport.NIO);
    }
}
