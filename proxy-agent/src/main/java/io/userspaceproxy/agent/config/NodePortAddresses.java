package io.userspaceproxy.agent.config;

import io.userspaceproxy.core.model.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code --nodeport-addresses} (and the config file's {@code nodePortAddresses}): which local addresses serve
 * NodePorts. A list of CIDRs and keywords, in any combination, as kube-proxy's newest {@code KubeProxyConfiguration}
 * spells it:
 * <ul>
 *   <li>{@code primary}: the node's primary addresses, one per IP family (kube-proxy 1.29+). Resolved at every sync
 *       by the node network from {@code --bind-address} and the Node object; see {@code NodeNetwork}.</li>
 *   <li>{@code localhost}: {@code 127.0.0.0/8} and {@code ::1/128}, the loopback NodePorts of KEP-6032 (kube-proxy
 *       1.37, alpha, TCP only there); a userspace proxy serves them for TCP and UDP alike.</li>
 *   <li>{@code all}: {@code 0.0.0.0/0} and {@code ::/0}.</li>
 * </ul>
 *
 * @param given   the values as written, for {@code --write-config-to} and {@code /configz}
 * @param cidrs   the CIDRs, keywords other than {@code primary} expanded
 * @param primary whether {@code primary} was given
 */
public record NodePortAddresses(List<String> given, List<Cidr> cidrs, boolean primary) {

    public static final String PRIMARY = "primary";
    public static final String LOCALHOST = "localhost";
    public static final String ALL = "all";

    public NodePortAddresses {
        given = List.copyOf(given);
        cidrs = List.copyOf(cidrs);
    }

    /**
     * Parses {@code values} (CIDRs and keywords, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the first bad value and what is expected
     */
    public static NodePortAddresses parse(List<String> values) {
        Objects.requireNonNull(values, "values");
        List<String> given = new ArrayList<>();
        List<Cidr> cidrs = new ArrayList<>();
        boolean primary = false;
        for (String raw : values) {
            String v = raw.trim();
            given.add(v);
            switch (v.toLowerCase(Locale.ROOT)) {
                case PRIMARY -> primary = true;
                case LOCALHOST -> addAll(cidrs, "127.0.0.0/8", "::1/128");
                case ALL -> addAll(cidrs, "0.0.0.0/0", "::/0");
                default -> cidrs.add(cidr(v));
            }
        }
        return new NodePortAddresses(given, cidrs, primary);
    }

    /** Checks one value: a CIDR or a keyword. */
    static void validate(String value) {
        parse(List.of(value));
    }

    /** A CIDR; a word that is no address at all is reported as a misspelt keyword. */
    private static Cidr cidr(String v) {
        if (!v.isEmpty() && v.chars().allMatch(Character::isLetter)) {
            throw new IllegalArgumentException("\"" + v + "\" (expected: a CIDR such as 10.0.0.0/8, or one of the"
                    + " keywords primary, localhost, all)");
        }
        return Cidr.parse(v);
    }

    private static void addAll(List<Cidr> out, String... texts) {
        for (String t : texts) {
            Cidr c = Cidr.parse(t);
            if (!out.contains(c)) {
                out.add(c);
            }
        }
    }

    @Override
    public String toString() {
        return String.join(",", given);
    }
}
