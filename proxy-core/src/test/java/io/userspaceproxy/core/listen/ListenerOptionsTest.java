package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

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
    void best_epollLoads_prefersEpoll() {
        assertThat(Transport.best()).isEqualTo(Transport.EPOLL.isAvailable() ? Transport.EPOLL : Transport.NIO);
        assertThat(Transport.NIO.isAvailable()).isTrue();
        assertThat(Transport.NIO.requireAvailable()).isSameAs(Transport.NIO);
    }
}
