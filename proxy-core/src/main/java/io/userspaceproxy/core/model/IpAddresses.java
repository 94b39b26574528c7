package io.userspaceproxy.core.model;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Parses IP address literals without ever consulting DNS: {@link InetAddress#getByName} resolves names, and a
 * typo in a manifest must become a validation error, not a blocking lookup.
 */
public final class IpAddresses {

    private IpAddresses() {
    }

    /**
     * Parses an IPv4 dotted quad or an IPv6 literal (optionally in brackets).
     *
     * @throws IllegalArgumentException with a message naming the bad value when it is not an IP literal
     */
    public static InetAddress parse(String literal) {
        if (literal == null || literal.isEmpty()) {
            throw new IllegalArgumentException("\"" + literal + "\" is not an IP address");
        }
        String s = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1) : literal;
        if (s.indexOf(':') >= 0) {
            if (!s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                throw new IllegalArgumentException("\"" + literal + "\" is not an IP address");
            }
        } else if (!isDottedQuad(s)) {
            throw new IllegalArgumentException("\"" + literal + "\" is not an IP address");
        }
        try {
            // Only literals reach here, so no name service is asked.
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + literal + "\" is not an IP address", e);
        }
    }

    private static boolean isDottedQuad(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return false;
            }
            if (Integer.parseInt(p) > 255 || (p.length() > 1 && p.charAt(0) == '0')) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code ip:port}, the one way the project writes a socket address: an IPv6 address in brackets and in its
     * canonical short form (RFC 5952), as Netty's {@code NetUtil} writes it; an unresolved one as its host name.
     */
    public static String format(InetSocketAddress address) {
        return NetUtil.toSocketAddressString(address);
    }
}
