package io.userspaceproxy.bench.iptables;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.bench.iptables.IptablesNatModel.Packet;
import io.userspaceproxy.core.model.Endpoint;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IptablesNatModelTest {

    private static final int IN_CLUSTER_CLIENT = SyntheticCluster.POD_NETWORK + 0x12345;
    private static final int OFF_CLUSTER_CLIENT = 0xC0A8_0001;

    @Test
    void route_eachServicesAddress_returnsAnEndpointOfThatService() {
        List<Service> services = SyntheticCluster.generate(200, 4, 1);
        IptablesNatModel model = IptablesNatModel.of(services);

        for (Service s : services) {
            assertThat(s.endpoints()).contains(model.route(packetTo(IN_CLUSTER_CLIENT, s.listener().address())));
        }
    }

    @Test
    void route_unknownDestinationOrPort_returnsNull() {
        List<Service> services = SyntheticCluster.generate(10, 2, 1);
        IptablesNatModel model = IptablesNatModel.of(services);
        InetSocketAddress vip = services.get(0).listener().address();

        assertThat(model.route(packetTo(IN_CLUSTER_CLIENT, new InetSocketAddress(vip.getAddress(), 1)))).isNull();
        assertThat(model.route(new Packet(IN_CLUSTER_CLIENT, SyntheticCluster.SERVICE_NETWORK + 5000,
                IptablesNatModel.PROTO_TCP, vip.getPort()))).isNull();
        assertThat(model.route(new Packet(IN_CLUSTER_CLIENT, SyntheticCluster.toInt(vip.getAddress()), 17,
                vip.getPort()))).isNull();
    }

    @Test
    void route_statisticCascade_spreadsConnectionsEvenlyOverEndpoints() {
        Service service = SyntheticCluster.generate(1, 10, 1).get(0);
        IptablesNatModel model = IptablesNatModel.of(List.of(service));
        Map<Endpoint, Integer> counts = new HashMap<>();

        for (int i = 0; i < 100_000; i++) {
            counts.merge(model.route(packetTo(IN_CLUSTER_CLIENT, service.listener().address())), 1, Integer::sum);
        }

        // Each endpoint expects 10,000 (standard deviation 95); 5 % is more than five deviations.
        assertThat(counts).hasSize(10);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(9_500, 10_500));
    }

    @Test
    void route_clientOutsideClusterCidr_setsMasqueradeMark() {
        Service service = SyntheticCluster.generate(1, 2, 1).get(0);
        IptablesNatModel model = IptablesNatModel.of(List.of(service));
        Packet inside = packetTo(IN_CLUSTER_CLIENT, service.listener().address());
        Packet outside = packetTo(OFF_CLUSTER_CLIENT, service.listener().address());

        model.route(inside);
        model.route(outside);

        assertThat(inside.mark()).isZero();
        assertThat(outside.mark()).isEqualTo(IptablesNatModel.MASQ_MARK);
    }

    private static Packet packetTo(int client, InetSocketAddress vip) {
        return new Packet(client, SyntheticCluster.toInt(vip.getAddress()), IptablesNatModel.PROTO_TCP, vip.getPort());
    }
}
