package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.userspaceproxy.core.metrics.ProxyCounters;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AcceptErrorsTest {

    private final ProxyCounters counters = new ProxyCounters();

    @Test
    void exceptionCaught_acceptFailed_countsPausesTheListenerOneSecondAndStopsThere() {
        EmbeddedChannel listener = new EmbeddedChannel(new AcceptErrors(counters));
        listener.freezeTime();

        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));

        assertThat(counters.acceptErrors()).isEqualTo(2);
        assertThat(listener.config().isAutoRead()).isFalse();
        listener.advanceTimeBy(AcceptErrors.PAUSE_MILLIS - 1, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertThat(listener.config().isAutoRead()).isFalse();
        listener.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertThat(listener.config().isAutoRead()).as("accepting again").isTrue();
        // Handled here: nothing reached the end of the pipeline, where Netty would log it with a stack trace.
        listener.checkException();
        assertThat(listener.finish()).isFalse();
    }
}
