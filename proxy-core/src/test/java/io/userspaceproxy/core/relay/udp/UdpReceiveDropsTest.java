package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UdpReceiveDropsTest {

    @Test
    void parse_procNetUdp_readsDropsByInodeAndSkipsTheHeader() {
        String table = """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
                  251: 0900007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 81234 2 0000000000000000 17
                  252: 0900007F:0036 00000000:0000 07 00000000:00001200 00:00000000 00000000     0        0 81235 2 0000000000000000 0
                  a row of some other layout
                """;
        Map<Long, Long> out = new HashMap<>();

        UdpReceiveDrops.parse(table, out);

        assertThat(out).containsExactlyInAnyOrderEntriesOf(Map.of(81234L, 17L, 81235L, 0L));
    }
}
