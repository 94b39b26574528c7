package io.userspaceproxy.bench.iptables;

import io.userspaceproxy.bench.SyntheticCluster;
import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.model.Endpoint;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code iptables-restore --noflush} input that kube-proxy's iptables mode writes for a set of ClusterIP
 * services (nat table only), line for line in its argument order, so that the real {@code iptables-restore} can be
 * timed on it:
 * <ul>
 *   <li>{@code KUBE-SERVICES}: one rule per service port matching destination, protocol and port, in service
 *       order, ending with the jump to {@code KUBE-NODEPORTS};</li>
 *   <li>{@code KUBE-SVC-<hash>}: the masquerade rule for clients outside the cluster CIDR, then one rule per
 *       endpoint with {@code -m statistic --mode random --probability 1/(n-i)}, the last one unconditional;</li>
 *   <li>{@code KUBE-SEP-<hash>}: the hairpin masquerade rule and the DNAT.</li>
 * </ul>
 * As kube-proxy does, the endpoint rules lose their comments once the cluster has more than 1,000 endpoints
 * ("large cluster mode"). A full sync rewrites every chain; a partial sync (kube-proxy 1.28 and later, between
 * full syncs) rewrites the top-level chains, only the changed services' chains, and deletes stale ones.
 */
public final class IptablesRuleSet {

    /** The cluster CIDR behind the masquerade rule's {@code ! -s}. */
    public static final String CLUSTER_CIDR = "10.128.0.0/" + SyntheticCluster.POD_PREFIX_LENGTH;
    static final int LARGE_CLUSTER_ENDPOINTS = 1000;

    private final List<Service> services;
    private final boolean largeCluster;

    private IptablesRuleSet(List<Service> services) {
        this.services = List.copyOf(services);
        this.largeCluster = services.stream().mapToInt(s -> s.endpoints().size()).sum() > LARGE_CLUSTER_ENDPOINTS;
    }

    public static IptablesRuleSet of(List<Service> services) {
        return new IptablesRuleSet(services);
    }

    /** Writes what a full sync restores: every chain kube-proxy owns in the nat table, declared and filled. */
    public void writeFullSync(Appendable out) throws IOException {
        writeSync(out, null, List.of());
    }

    /**
     * Writes what a partial sync restores after {@code changed} (the service as it is now) replaced {@code before}:
     * the top-level chains in full, the changed service's chains, and the deletion of the endpoint chains that
     * {@code before} had and {@code changed} has not.
     */
    public void writePartialSync(Appendable out, Service changed, Service before) throws IOException {
        Set<String> kept = new HashSet<>();
        for (Endpoint e : changed.endpoints()) {
            kept.add(KubeProxyChains.endpointChain(changed, e));
        }
        List<String> stale = before.endpoints().stream()
                .map(e -> KubeProxyChains.endpointChain(before, e))
                .filter(c -> !kept.contains(c))
                .toList();
        writeSync(out, changed, stale);
    }

    /** {@code only == null} writes every service's chains; otherwise only {@code only}'s. */
    private void writeSync(Appendable out, Service only, List<String> staleChains) throws IOException {
        out.append("*nat\n");
        for (String chain : List.of("KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ")) {
            declare(out, chain);
        }
        for (Service s : services) {
            if (only == null || s.name().equals(only.name())) {
                declare(out, KubeProxyChains.serviceChain(s));
                for (Endpoint e : s.endpoints()) {
                    declare(out, KubeProxyChains.endpointChain(s, e));
                }
            }
        }
        for (String chain : staleChains) {
            declare(out, chain);
        }
        out.append("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n");
        out.append("-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n");
        out.append("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\"")
                .append(" -j MASQUERADE --random-fully\n");
        out.append("-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n");
        for (Service s : services) {
            writeServicesRule(out, s);
            if (only == null || s.name().equals(only.name())) {
                writeServiceChains(out, s);
            }
        }
        out.append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the")
                .append(" last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n");
        for (String chain : staleChains) {
            out.append("-X ").append(chain).append('\n');
        }
        out.append("COMMIT\n");
    }

    private static void declare(Appendable out, String chain) throws IOException {
        out.append(':').append(chain).append(" - [0:0]\n");
    }

    private static void writeServicesRule(Appendable out, Service s) throws IOException {
        out.append("-A KUBE-SERVICES -m comment --comment \"").append(s.name().toString()).append(" cluster IP\"");
        appendDestination(out, s);
        out.append(" -j ").append(KubeProxyChains.serviceChain(s)).append('\n');
    }

    private static void appendDestination(Appendable out, Service s) throws IOException {
        String proto = KubeProxyChains.protocol(s);
        out.append(" -m ").append(proto).append(" -p ").append(proto)
                .append(" -d ").append(s.listener().address().getAddress().getHostAddress())
                .append(" --dport ").append(Integer.toString(s.listener().address().getPort()));
    }

    private void writeServiceChains(Appendable out, Service s) throws IOException {
        String svcChain = KubeProxyChains.serviceChain(s);
        String name = s.name().toString();
        out.append("-A ").append(svcChain).append(" -m comment --comment \"").append(name).append(" cluster IP\"");
        appendDestination(out, s);
        out.append(" ! -s ").append(CLUSTER_CIDR).append(" -j KUBE-MARK-MASQ\n");
        List<Endpoint> endpoints = s.endpoints();
        int n = endpoints.size();
        for (int i = 0; i < n; i++) {
            Endpoint e = endpoints.get(i);
            out.append("-A ").append(svcChain);
            if (!largeCluster) {
                out.append(" -m comment --comment \"").append(name).append(" -> ").append(e.toString()).append('"');
            }
            if (i < n - 1) {
                out.append(" -m statistic --mode random --probability ").append(probability(n - i));
            }
            out.append(" -j ").append(KubeProxyChains.endpointChain(s, e)).append('\n');
        }
        for (Endpoint e : endpoints) {
            writeEndpointChain(out, s, e);
        }
    }

    private void writeEndpointChain(Appendable out, Service s, Endpoint e) throws IOException {
        String sepChain = KubeProxyChains.endpointChain(s, e);
        String comment = largeCluster ? "" : " -m comment --comment " + s.name();
        String proto = KubeProxyChains.protocol(s);
        out.append("-A ").append(sepChain).append(comment).append(" -s ")
                .append(e.address().getAddress().getHostAddress()).append(" -j KUBE-MARK-MASQ\n");
        out.append("-A ").append(sepChain).append(comment).append(" -m ").append(proto).append(" -p ").append(proto)
                .append(" -j DNAT --to-destination ").append(e.toString()).append('\n');
    }

    /** kube-proxy's {@code fmt.Sprintf("%0.10f", 1.0/float64(n))}: the chance to take this rule of the rest. */
    static String probability(int remaining) {
        return String.format(Locale.ROOT, "%.10f", 1.0 / remaining);
    }

    /**
     * Writes the rule sets for the iptables-restore timing script: {@code --services N --endpoints M --full FILE
     * --partial FILE [--seed S]}. The partial sync is the one after endpoint 0 of one service moved to a new pod.
     */
    public static void main(String[] args) throws IOException {
        RuleSetOptions options = RuleSetOptions.parse(args);
        List<Service> before = SyntheticCluster.generate(options.services(), options.endpoints(), options.seed());
        Service old = before.get(before.size() / 2);
        Service changed = old.withEndpoint(0, SyntheticCluster.pod(options.services() * options.endpoints()));
        List<Service> after = before.stream().map(s -> s == old ? changed : s).toList();
        write(options.full(), out -> IptablesRuleSet.of(before).writeFullSync(out));
        write(options.partial(), out -> IptablesRuleSet.of(after).writePartialSync(out, changed, old));
        System.out.printf(Locale.ROOT, "services=%d endpoints=%d full=%s (%d lines) partial=%s (%d lines)%n",
                options.services(), options.endpoints(), options.full(), lines(options.full()),
                options.partial(), lines(options.partial()));
    }

    private interface RuleWriter {
        void write(Writer out) throws IOException;
    }

    private static void write(Path file, RuleWriter writer) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            writer.write(out);
        }
    }

    private static long lines(Path file) {
        try (var stream = Files.lines(file)) {
            return stream.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
