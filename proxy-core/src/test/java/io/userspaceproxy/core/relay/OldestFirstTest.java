package io.userspaceproxy.core.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class OldestFirstTest {

    /** A connection stand-in: only its open time matters. */
    private record Opened(long nanos) {
    }

    private static List<Opened> shuffled(long... nanos) {
        List<Opened> entries = new ArrayList<>(LongStream.of(nanos).mapToObj(Opened::new).toList());
        Collections.shuffle(entries, new Random(42));
        return entries;
    }

    @Test
    void select_moreEntriesThanLimit_keepsTheOldestOldestFirst() {
        List<Opened> live = shuffled(50, 10, 40, 20, 30, 60, 70);

        assertThat(OldestFirst.select(live, 3, Opened::nanos)).extracting(Opened::nanos).containsExactly(10L, 20L, 30L);
    }

    @Test
    void select_fewerEntriesThanLimit_returnsAllOldestFirst() {
        assertThat(OldestFirst.select(shuffled(3, 1, 2), 1000, Opened::nanos))
                .extracting(Opened::nanos).containsExactly(1L, 2L, 3L);
    }

    @Test
    void select_timestampsAcrossTheNanoTimeWrap_ordersByElapsedTime() {
        // nanoTime may wrap: MAX_VALUE was read before MIN_VALUE, so it is the older one.
        List<Opened> live = shuffled(Long.MIN_VALUE + 5, Long.MAX_VALUE, Long.MAX_VALUE - 10, Long.MIN_VALUE);

        assertThat(OldestFirst.select(live, 2, Opened::nanos)).extracting(Opened::nanos)
                .containsExactly(Long.MAX_VALUE - 10, Long.MAX_VALUE);
    }

    @Test
    void select_zeroOrNegativeLimit_emptyOrRefused() {
        assertThat(OldestFirst.select(shuffled(1, 2), 0, Opened::nanos)).isEmpty();
        assertThatThrownBy(() -> OldestFirst.select(shuffled(1), -1, Opened::nanos))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit: -1 (expected: >= 0)");
    }
}
