package io.userspaceproxy.bench.iptables;

import io.userspaceproxy.bench.SyntheticCluster.Service;
import io.userspaceproxy.core.model.Endpoint;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The names kube-proxy's iptables mode gives its per-service chains, computed the way it computes them
 * ({@code pkg/proxy/iptables}: {@code servicePortChainName}, {@code servicePortEndpointChainName}): the first 16
 * characters of the standard base32 encoding of SHA-256 over the service port name, the lower-case protocol and,
 * for an endpoint chain, {@code ip:port}.
 */
final class KubeProxyChains {

    private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

    private KubeProxyChains() {
    }

    /** {@code KUBE-SVC-<hash>}, the chain that spreads a service port's connections over its endpoints. */
    static String serviceChain(Service service) {
        return "KUBE-SVC-" + hash16(service.name().toString() + protocol(service));
    }

    /** {@code KUBE-SEP-<hash>}, the chain that DNATs to one endpoint. */
    static String endpointChain(Service service, Endpoint endpoint) {
        return "KUBE-SEP-" + hash16(service.name().toString() + protocol(service) + endpoint);
    }

    static String protocol(Service service) {
        return service.name().protocol().name().toLowerCase(Locale.ROOT);
    }

    /** {@code base32(sha256(text))[:16]}: 16 characters of 5 bits are exactly the first 10 bytes of the digest. */
    static String hash16(String text) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        char[] out = new char[16];
        long bits = 0;
        int have = 0;
        int n = 0;
        for (int i = 0; i < 10; i++) {
            bits = bits << 8 | (digest[i] & 0xFF);
            have += 8;
            while (have >= 5) {
                have -= 5;
                out[n++] = BASE32[(int) (bits >>> have) & 31];
            }
        }
        return new String(out);
    }
}
