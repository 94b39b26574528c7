package io.userspaceproxy.agent.net;

import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One line of {@code ip -o address show}: the address and, for IPv4, its label (the last word before
 * {@code \valid_lft}, e.g. {@code lo:usp}; the device name when unlabelled).
 */
record AddressLine(InetAddress address, @Nullable String label) {

    static List<AddressLine> parseAll(String output) {
        List<AddressLine> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            AddressLine parsed = parse(line);
            if (parsed != null) {
                out.add(parsed);
            }
        }
        return out;
    }

    /** Parses {@code 1: lo    inet 10.96.0.1/32 scope global lo:usp\       valid_lft ...}; null if no address. */
    static @Nullable AddressLine parse(String line) {
        String[] words = line.trim().split("\\s+");
        for (int i = 0; i + 1 < words.length; i++) {
            if ("inet".equals(words[i]) || "inet6".equals(words[i])) {
                String cidr = words[i + 1];
                InetAddress address = IpAddresses.parse(cidr.substring(0, cidr.indexOf('/') < 0 ? cidr.length() : cidr.indexOf('/')));
                String label = null;
                if ("inet".equals(words[i])) {
                    int end = line.indexOf('\\');
                    String head = (end < 0 ? line : line.substring(0, end)).trim();
                    label = head.substring(head.lastIndexOf(' ') + 1);
                }
                return new AddressLine(address, label);
            }
        }
        return null;
    }
}
