package io.userspaceproxy.bench.iptables;

import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.model.Endpoint;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The work the kernel does in kube-proxy's iptables mode to route the first packet of a new connection to a
 * ClusterIP (later packets follow the conntrack entry, as later bytes of a userspace connection follow the socket):
 * <ol>
 *   <li>{@code KUBE-SERVICES}: a linear walk of one rule per service port, in the order kube-proxy wrote them,
 *       each tested as {@code ipt_do_table}/{@code ip_packet_match} test it: source and destination under their
 *       masks with the inversion flags, then protocol, then the {@code comment} and {@code tcp --dport} matches;
 *   <li>{@code KUBE-SVC-*}: the off-cluster masquerade rule, then the {@code statistic --mode random} cascade, one
 *       random draw per rule visited, {@code (random & 0x7FFFFFFF) < round(2^31 * 1/(n-i))} as {@code xt_statistic}
 *       compares it;
 *   <li>{@code KUBE-SEP-*}: the hairpin masquerade test, then the DNAT target, which is the endpoint returned.
 * </ol>
 * The {@code KUBE-SERVICES} rules live in one {@code int[]} blob with the stride of the legacy xtables layout
 * ({@value #SERVICES_RULE_BYTES} bytes: {@code ipt_entry} 112 + comment match 288 + tcp match 48 + standard target
 * 40) and every field at its kernel offset, so a walk touches memory as the kernel's does: one cache line per rule
 * it rejects by address. The model is kinder to iptables than the kernel is: the per-service chains are compact
 * Java arrays rather than rule blobs, the random draw is {@link ThreadLocalRandom} rather than
 * {@code get_random_u32}, and there are no indirect calls to match functions, interface-name compares, per-CPU
 * counter updates or jump-stack bookkeeping.
 *
 * <p>Immutable after construction; {@link #route} is safe from any thread (it writes only to the packet).
 */
public final class IptablesNatModel {

    /** Size of one {@code KUBE-SERVICES} rule in the kernel's legacy xtables blob. */
    public static final int SERVICES_RULE_BYTES = 488;
    /** {@code IPPROTO_TCP}. */
    public static final int PROTO_TCP = 6;
    /** kube-proxy's masquerade mark, set by {@code KUBE-MARK-MASQ}. */
    public static final int MASQ_MARK = 0x4000;

    private static final int STRIDE = SERVICES_RULE_BYTES / Integer.BYTES;
    // int offsets inside one rule: struct ipt_ip opens with src, dst, smsk, dmsk; proto (u16), flags and
    // invflags sit at byte 80; the tcp match's dpts[] at byte 436; the standard target's verdict at byte 480.
    private static final int SRC = 0;
    private static final int DST = 1;
    private static final int SMSK = 2;
    private static final int DMSK = 3;
    private static final int PROTO_FLAGS = 80 / Integer.BYTES;
    private static final int DPORTS = 436 / Integer.BYTES;
    private static final int VERDICT = 480 / Integer.BYTES;
    private static final int INV_SRCIP = 0x08;
    private static final int INV_DSTIP = 0x10;
    private static final int INV_PROTO = 0x40;

    private final int[] servicesBlob;
    private final int servicesEnd;
    private final ServiceChain[] chains;
    private final int clusterNetwork;
    private final int clusterMask;

    /** A packet as the nat table sees it: the header fields it matches, and the mark it may set. */
    public static final class Packet {
        final int saddr;
        final int daddr;
        final int protocol;
        final int dport;
        int mark;

        public Packet(int saddr, int daddr, int protocol, int dport) {
            this.saddr = saddr;
            this.daddr = daddr;
            this.protocol = protocol;
            this.dport = dport;
        }

        public int mark() {
            return mark;
        }
    }

    /** One service's {@code KUBE-SVC} chain and its {@code KUBE-SEP} chains. */
    private record ServiceChain(int vip, int port, int[] thresholds, int[] endpointAddresses, Endpoint[] dnat) {
    }

    private IptablesNatModel(List<Service> services) {
        this.servicesBlob = new int[services.size() * STRIDE];
        this.servicesEnd = services.size() * STRIDE;
        this.chains = new ServiceChain[services.size()];
        this.clusterNetwork = SyntheticCluster.POD_NETWORK;
        this.clusterMask = -1 << (32 - SyntheticCluster.POD_PREFIX_LENGTH);
        for (int i = 0; i < services.size(); i++) {
            compile(i, services.get(i));
        }
    }

    /** The nat table kube-proxy would write for {@code services}, in their order. */
    public static IptablesNatModel of(List<Service> services) {
        return new IptablesNatModel(services);
    }

    private void compile(int index, Service s) {
        int vip = SyntheticCluster.toInt(s.listener().address().getAddress());
        int port = s.listener().address().getPort();
        int off = index * STRIDE;
        servicesBlob[off + SRC] = 0;
        servicesBlob[off + SMSK] = 0;
        servicesBlob[off + DST] = vip;
        servicesBlob[off + DMSK] = -1;
        servicesBlob[off + PROTO_FLAGS] = PROTO_TCP;
        servicesBlob[off + DPORTS] = port | port << 16;
        servicesBlob[off + VERDICT] = index;
        List<Endpoint> endpoints = s.endpoints();
        int n = endpoints.size();
        int[] thresholds = new int[n - 1];
        for (int i = 0; i < n - 1; i++) {
            // libxt_statistic stores lround(0x80000000 * p) of the probability kube-proxy printed.
            thresholds[i] = (int) Math.round(0x80000000L * Double.parseDouble(IptablesRuleSet.probability(n - i)));
        }
        int[] addresses = new int[n];
        for (int i = 0; i < n; i++) {
            addresses[i] = SyntheticCluster.toInt(endpoints.get(i).address().getAddress());
        }
        chains[index] = new ServiceChain(vip, port, thresholds, addresses, endpoints.toArray(new Endpoint[0]));
    }

    /**
     * Runs {@code packet} through {@code KUBE-SERVICES} and returns the endpoint its DNAT chose, or {@code null}
     * when no service rule matched (the packet would fall through to {@code KUBE-NODEPORTS} and leave unchanged).
     */
    public Endpoint route(Packet packet) {
        int[] blob = servicesBlob;
        for (int off = 0; off < servicesEnd; off += STRIDE) {
            int protoFlags = blob[off + PROTO_FLAGS];
            int inv = protoFlags >>> 24;
            if ((((packet.saddr & blob[off + SMSK]) != blob[off + SRC]) ^ ((inv & INV_SRCIP) != 0))
                    || (((packet.daddr & blob[off + DMSK]) != blob[off + DST]) ^ ((inv & INV_DSTIP) != 0))) {
                continue;
            }
            int proto = protoFlags & 0xFFFF;
            if (proto != 0 && ((packet.protocol != proto) ^ ((inv & INV_PROTO) != 0))) {
                continue;
            }
            // -m comment always matches; -m tcp --dport is a [min, max] range.
            int dports = blob[off + DPORTS];
            if (packet.dport < (dports & 0xFFFF) || packet.dport > (dports >>> 16)) {
                continue;
            }
            return serviceChain(chains[blob[off + VERDICT]], packet);
        }
        return null;
    }

    private Endpoint serviceChain(ServiceChain chain, Packet packet) {
        // -d vip -p tcp --dport port ! -s clusterCIDR -j KUBE-MARK-MASQ
        if (packet.daddr == chain.vip() && packet.dport == chain.port()
                && (packet.saddr & clusterMask) != clusterNetwork) {
            packet.mark |= MASQ_MARK;
        }
        int[] thresholds = chain.thresholds();
        int i = 0;
        while (i < thresholds.length && (ThreadLocalRandom.current().nextInt() & 0x7FFFFFFF) >= thresholds[i]) {
            i++;
        }
        // KUBE-SEP: -s endpoint -j KUBE-MARK-MASQ, then DNAT.
        if (packet.saddr == chain.endpointAddresses()[i]) {
            packet.mark |= MASQ_MARK;
        }
        return chain.dnat()[i];
    }

    /** Rules in {@code KUBE-SERVICES}, not counting the final jump to {@code KUBE-NODEPORTS}. */
    public int serviceRules() {
        return chains.length;
    }
}
