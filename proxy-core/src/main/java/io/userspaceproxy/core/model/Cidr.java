package io.userspaceproxy.core.model;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** An IP prefix such as {@code 127.0.0.0/8} or {@code fd00::/64}; used for node-port addresses and source ranges. */
public final class Cidr {

    private final InetAddress network;
    private final byte[] prefixBytes;
    private final int prefixLength;
    /** For an IPv4 prefix: its mask and masked network as ints, so that a check allocates nothing. */
    private final int mask4;
    private final int network4;

    private Cidr(InetAddress network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.prefixBytes = mask(network.getAddress(), prefixLength);
        this.mask4 = prefixLength == 0 ? 0 : -1 << (32 - Math.min(32, prefixLength));
        this.network4 = prefixBytes.length == 4 ? toInt(prefixBytes) : 0;
    }

    /**
     * Parses {@code address/length}. A bare address is a host prefix (/32 or /128).
     *
     * @throws IllegalArgumentException naming the value when it is malformed
     */
    public static Cidr parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        InetAddress address = IpAddresses.parse(slash < 0 ? text : text.substring(0, slash));
        int max = address.getAddress().length * 8;
        int length = max;
        if (slash >= 0) {
            try {
                length = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + text + "\" is not a CIDR (expected: address/length)", e);
            }
            if (length < 0 || length > max) {
                throw new IllegalArgumentException("\"" + text + "\" is not a CIDR (expected: length 0.." + max + ")");
            }
        }
        return new Cidr(address, length);
    }

    /**
     * Whether {@code address} is inside this prefix; an address of the other family never is. Allocation-free for
     * IPv4, which is on the path of every connection to a Service with source ranges: OpenJDK's
     * {@code Inet4Address.hashCode()} is the address itself (pinned by a test), where {@code getAddress()} would copy
     * it into a new array. An IPv6 check copies the address once.
     */
    public boolean contains(InetAddress address) {
        if (address instanceof Inet4Address) {
            return prefixBytes.length == 4 && (address.hashCode() & mask4) == network4;
        }
        byte[] bytes = address.getAddress();
        if (bytes.length != prefixBytes.length) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            int bits = Math.max(0, Math.min(8, prefixLength - i * 8));
            if ((bytes[i] & (byte) (0xff << (8 - bits))) != prefixBytes[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether {@code client} may use a route restricted to {@code ranges}: an empty list admits everyone, otherwise
     * the client must be inside one of them. The one source-range check of the TCP and UDP relays.
     */
    public static boolean admits(List<Cidr> ranges, InetAddress client) {
        int n = ranges.size();
        if (n == 0) {
            return true;
        }
        for (int i = 0; i < n; i++) {
            if (ranges.get(i).contains(client)) {
                return true;
            }
        }
        return false;
    }

    private static int toInt(byte[] b) {
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean isIpv4() {
        return prefixBytes.length == 4;
    }

    private static byte[] mask(byte[] bytes, int length) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, length - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.prefixBytes, prefixBytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(prefixBytes) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(prefixBytes).getHostAddress() + "/" + prefixLength;
        } catch (java.net.UnknownHostException e) {
            return network.getHostAddress() + "/" + prefixLength;
        }
    }
}
