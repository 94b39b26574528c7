package io.userspaceproxy.core.listen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;

/**
 * Whether the kernel hands over what a closing TCP listener still holds, during an upgrade in which a new agent
 * already listens on the same ports through SO_REUSEPORT.
 *
 * <p>The kernel spreads new connections over every socket of a SO_REUSEPORT group by a hash of the 4-tuple. When
 * one socket closes, the connections in its accept queue (handshake done, not yet accepted) and its half-open
 * requests belong to it alone: by default they are reset, even though another socket of the group would take
 * them. Linux 5.14 added {@code net.ipv4.tcp_migrate_req}; at 1, a closing listener's queued connections and
 * requests migrate to another listener of its group instead. On loopback, with 32 connections queued over two
 * listeners and none accepted, closing one reset 15 of them with the knob at 0 and none at 1 (32 reached the other
 * listener). With this proxy the window is narrow, because the event loops accept as soon as a connection is
 * queued: what is lost is what arrives between the last accept and the close, plus half-open handshakes (a round
 * trip's worth of SYNs) on a real network. At thousands of connections per second that is a few resets per upgrade;
 * the knob removes them. It is per network namespace; the agent reports it and never changes it.
 */
final class AcceptQueueMigration {

    static final Path SYSCTL = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");

    enum State {
        /** Queued connections move to another socket of the group. */
        ENABLED,
        /** Queued connections are reset. */
        DISABLED,
        /** The kernel predates the knob (Linux &lt; 5.14): queued connections are reset. */
        UNSUPPORTED,
        /** The knob could not be read. */
        UNKNOWN
    }

    private AcceptQueueMigration() {
    }

    static State read(Path sysctl) {
        try {
            return "0".equals(Files.readString(sysctl).trim()) ? State.DISABLED : State.ENABLED;
        } catch (NoSuchFileException e) {
            return State.UNSUPPORTED;
        } catch (IOException | RuntimeException e) {
            return State.UNKNOWN;
        }
    }

    /** Tells the operator, once per {@link ListenerSet#stopAccepting()}, what will happen to queued connections. */
    static void report(Logger log, State state) {
        switch (state) {
            case DISABLED -> log.info("net.ipv4.tcp_migrate_req is 0: connections still in the accept queues of the "
                    + "TCP listeners closing now are reset, even if a new agent shares their ports (SO_REUSEPORT); "
                    + "set it to 1 to hand them over");
            case UNSUPPORTED -> log.info("this kernel has no net.ipv4.tcp_migrate_req (Linux < 5.14): connections "
                    + "still in the accept queues of the TCP listeners closing now are reset, even if a new agent "
                    + "shares their ports (SO_REUSEPORT)");
            case ENABLED -> log.debug("net.ipv4.tcp_migrate_req is on: queued connections of the closing TCP "
                    + "listeners move to any other listener on their ports");
            case UNKNOWN -> log.debug("cannot read {}", SYSCTL);
        }
    }
}
