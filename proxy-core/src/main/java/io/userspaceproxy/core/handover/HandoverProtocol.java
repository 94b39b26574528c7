package io.userspaceproxy.core.handover;

import io.netty.channel.unix.Socket;
import io.userspaceproxy.core.model.IpAddresses;
import io.userspaceproxy.core.model.ListenerKey;
import io.userspaceproxy.core.model.Protocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The hand-over's wire format, one version of it. A lockstep exchange of ASCII lines over a stream Unix domain
 * socket, the descriptors as {@code SCM_RIGHTS} messages of one descriptor each (what Netty's epoll domain socket
 * channel sends and receives):
 *
 * <pre>
 *   new agent                         old agent
 *   HELLO 1                     -&gt;
 *                               &lt;-    SOCKETS n, then n lines "TCP|UDP ip port", one per socket
 *   SEND k   (read mode: fds)   -&gt;
 *                               &lt;-    k descriptors, in the order of the lines      (repeated until n are sent)
 *   RECEIVED (read mode: bytes) -&gt;                                                   both now hold every socket
 *   ... the new agent adopts the sockets and serves ...
 *   TAKEOVER                    -&gt;    stops accepting, closes its own descriptors, frees its HTTP ports
 *                               &lt;-    RELEASED                                       then it drains and exits
 * </pre>
 *
 * Descriptors go in batches of {@link #BATCH} because Netty cannot queue a descriptor the socket buffer has no room
 * for. Either side may close at any point before {@code TAKEOVER}; the old agent then simply goes on serving, and the
 * new one binds its keys beside it (SO_REUSEPORT), as without a hand-over.
 */
final class HandoverProtocol {

    static final int VERSION = 1;
    static final String HELLO = "HELLO";
    static final String SOCKETS = "SOCKETS";
    static final String SEND = "SEND";
    static final String RECEIVED = "RECEIVED";
    static final String TAKEOVER = "TAKEOVER";
    static final String RELEASED = "RELEASED";
    static final String REFUSED = "REFUSED";
    /** Descriptors in flight at once: each is a message of its own, well within a Unix socket's send buffer. */
    static final int BATCH = 32;
    /** The longest one write or one step of the peer may take before the hand-over is given up. */
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(5);

    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SO_ACCEPTCONN = 30;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_DGRAM = 2;

    private HandoverProtocol() {
    }

    static String format(ListenerKey key) {
        return key.protocol() + " " + key.address().getAddress().getHostAddress() + " " + key.address().getPort();
    }

    /** Parses a socket line; never asks DNS. */
    static ListenerKey parse(String line) throws HandoverException {
        String[] f = line.split(" ");
        try {
            if (f.length != 3) {
                throw new IllegalArgumentException("3 fields expected");
            }
            return ListenerKey.of(Protocol.valueOf(f[0]),
                    new InetSocketAddress(IpAddresses.parse(f[1]), Integer.parseInt(f[2])));
        } catch (IllegalArgumentException e) {
            throw new HandoverException("bad socket line \"" + line + "\": " + e.getMessage());
        }
    }

    /**
     * Checks that a received descriptor is what its line announced: a listening TCP socket or a UDP socket bound to
     * the key's port. Catches a sender whose descriptor was closed and reused, or a peer that is no agent.
     */
    static void verify(ListenerKey key, int fd) throws HandoverException {
        Socket socket = new Socket(fd); // a view; closing is the caller's
        try {
            int type = socket.getIntOpt(SOL_SOCKET, SO_TYPE);
            boolean tcp = key.protocol() == Protocol.TCP;
            if (type != (tcp ? SOCK_STREAM : SOCK_DGRAM)
                    || tcp && socket.getIntOpt(SOL_SOCKET, SO_ACCEPTCONN) != 1) {
                throw new HandoverException("descriptor for " + key + " is not a " + (tcp ? "listening TCP" : "UDP")
                        + " socket");
            }
            InetSocketAddress local = socket.localAddress();
            if (local == null || local.getPort() != key.address().getPort()) {
                throw new HandoverException("descriptor for " + key + " is bound to " + local);
            }
        } catch (IOException e) {
            throw new HandoverException("descriptor for " + key + " cannot be inspected: " + e.getMessage());
        }
    }

    /** This process's user id: only a peer of the same user may hand sockets over, or take them. */
    static int ownUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
