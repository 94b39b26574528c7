package io.userspaceproxy.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.Protocol;
import io.userspaceproxy.core.model.ServicePortName;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Letting go of the counters of service ports that left the table, and only of those. */
class ProxyCountersRetireTest {

    static final ServicePortName WEB = new ServicePortName("default", "web", "http", Protocol.TCP);
    static final ServicePortName API = new ServicePortName("default", "api", "http", Protocol.TCP);

    final ProxyCounters counters = new ProxyCounters();

    @Test
    void retire_idleServicePort_forgetsItAtOnceAndLeavesOthers() {
        counters.forServicePort(WEB).onConnectionOpened();
        counters.forServicePort(API);

        counters.retire(List.of(API), sp -> false);

        assertThat(counters.servicePorts()).containsOnlyKeys(WEB);
    }

    @Test
    void retire_servicePortWithOpenConnection_keepsItUntilALaterRetireFindsItIdle() {
        ServicePortCounters web = counters.forServicePort(WEB);
        web.onConnectionOpened();

        counters.retire(List.of(WEB), sp -> false);
        assertThat(counters.servicePorts()).as("a connection is still open").containsOnlyKeys(WEB);
        web.onConnectionClosed(CloseReason.COMPLETED);
        counters.retire(List.of(), sp -> false);

        assertThat(counters.servicePorts()).isEmpty();
    }

    @Test
    void retire_servicePortServedAgainBeforeIdle_keepsItsCounters() {
        ServicePortCounters web = counters.forServicePort(WEB);
        web.onConnectionOpened();
        counters.retire(List.of(WEB), sp -> false);
        web.onConnectionClosed(CloseReason.COMPLETED);

        counters.retire(List.of(), Set.of(WEB)::contains);
        counters.retire(List.of(), sp -> false);

        assertThat(counters.forServicePort(WEB)).as("no longer waiting to be retired").isSameAs(web);
    }

    @Test
    void anyHeld_trueOnlyForTheServiceWithAPortHoldingNow() {
        counters.forServicePort(API);
        ServicePortCounters web = counters.forServicePort(WEB);
        assertThat(counters.anyHeld("default", "web")).isFalse();

        web.onHeld();

        assertThat(counters.anyHeld("default", "web")).isTrue();
        assertThat(counters.anyHeld("default", "api")).isFalse();
        assertThat(counters.anyHeld("other", "web")).isFalse();
        web.onHoldEnded();
        assertThat(counters.anyHeld("default", "web")).isFalse();
    }
}
