package io.userspaceproxy.core.model;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/** An IP prefix such as {@code 127.0.0.0/8} or {@code fd00::/64}; used for node-port addresses and source ranges. */
public final class Cidr {

    private final InetAddress network;
    private final byte[] prefixBytes;
    private final int prefixLength;

    private Cidr(InetAddress network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.prefixBytes = mask(network.getAddress(), prefixLength);
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

    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length != prefixBytes.length) {
            return false;
        }
        return Arrays.equals(mask(bytes, prefixLength), prefixBytes);
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
