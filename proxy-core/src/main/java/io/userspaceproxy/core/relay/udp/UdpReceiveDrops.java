package io.userspaceproxy.core.relay.udp;

import io.netty.channel.Channel;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many datagrams the kernel dropped at each UDP listener socket because its receive buffer was full: the
 * {@code drops} column of {@code /proc/self/net/udp} and {@code udp6} (this process's network namespace), matched to
 * a socket by the inode its descriptor links to ({@code /proc/self/fd/N -> socket:[inode]}). A burst that outruns
 * the event loop is lost there, before the proxy sees it, so without this nothing would count it.
 *
 * <p>Read on demand (a metrics scrape), never on the datagram path: two small files plus one {@code readlink} per
 * UDP listener socket. Native (epoll) channels only; elsewhere there is nothing to read and the count is absent.
 */
final class UdpReceiveDrops {

    private static final List<Path> TABLES = List.of(Path.of("/proc/self/net/udp"), Path.of("/proc/self/net/udp6"));
    private static final Path FDS = Path.of("/proc/self/fd");
    /** Columns of a {@code /proc/net/udp} row, split on blanks: the inode and the drop count. */
    private static final int INODE = 9;
    private static final int DROPS = 12;

    private UdpReceiveDrops() {
    }

    /** Drops per socket inode, for every UDP socket of this network namespace; empty when the tables are absent. */
    static Map<Long, Long> byInode() {
        Map<Long, Long> out = new HashMap<>();
        for (Path table : TABLES) {
            try {
                parse(Files.readString(table), out);
            } catch (IOException e) {
                // No IPv6, or not Linux: no sockets of that family to report.
            }
        }
        return out;
    }

    static void parse(String table, Map<Long, Long> out) {
        table.lines().skip(1).forEach(line -> {
            String[] f = line.trim().split("\\s+");
            if (f.length > DROPS) {
                try {
                    out.merge(Long.parseLong(f[INODE]), Long.parseLong(f[DROPS]), Long::sum);
                } catch (NumberFormatException e) {
                    // A row of another layout: skip it rather than guess.
                }
            }
        });
    }

    /** The inode of {@code channel}'s socket, or -1 when it has none to read (not epoll, closed, not Linux). */
    static long inodeOf(Channel channel) {
        if (!(channel instanceof UnixChannel unix) || !channel.isOpen()) {
            return -1;
        }
        try {
            String link = Files.readSymbolicLink(FDS.resolve(Integer.toString(unix.fd().intValue()))).toString();
            if (link.startsWith("socket:[") && link.endsWith("]")) {
                return Long.parseLong(link, "socket:[".length(), link.length() - 1, 10);
            }
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            // Closed meanwhile, or no /proc: nothing to count.
        }
        return -1;
    }
}
