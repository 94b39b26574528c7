package io.userspaceproxy.core.handover;

import io.netty.channel.EventLoopGroup;
import io.userspaceproxy.core.listen.ListenerDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A hand-over under way, on the new agent's side: the sockets received (both agents hold them now, and the old one
 * still accepts on them) and the connection on which to {@link #takeOver} once this agent serves them.
 */
public final class Handover implements AutoCloseable {

    private final EventLoopGroup group;
    private final HandoverChannel end;
    private final List<ListenerDescriptor> descriptors;
    private final long predecessorPid;

    Handover(EventLoopGroup group, HandoverChannel end, List<ListenerDescriptor> descriptors, long predecessorPid) {
        this.group = group;
        this.end = end;
        this.descriptors = List.copyOf(descriptors);
        this.predecessorPid = predecessorPid;
    }

    /**
     * Every socket received, in the order the old agent listed them. The caller owns the descriptors (give them to
     * {@link io.userspaceproxy.core.listen.ListenerSet#inherit}); closing this hand-over does not close them.
     */
    public List<ListenerDescriptor> descriptors() {
        return descriptors;
    }

    /** The old agent's process id. */
    public long predecessorPid() {
        return predecessorPid;
    }

    /**
     * Tells the old agent to stop accepting and free its HTTP ports, and waits for it to confirm. Call once this
     * agent serves the sockets (after its first apply): from then on it alone accepts on them. Closes the hand-over.
     *
     * @throws HandoverException when the old agent did not confirm within {@code timeout} (it may be stopping
     *                           anyway; this agent's sockets are unaffected)
     */
    public void takeOver(Duration timeout) throws HandoverException {
        try {
            end.writeLine(HandoverProtocol.TAKEOVER);
            String answer = end.readLine(System.nanoTime() + timeout.toNanos());
            if (!answer.equals(HandoverProtocol.RELEASED)) {
                throw new HandoverException("the old agent answered \"" + answer + "\"");
            }
        } finally {
            close();
        }
    }

    /** Ends the connection without taking over: the old agent serves on beside this one. Idempotent. */
    @Override
    public void close() {
        end.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
