package io.userspaceproxy.core.listen;

import io.netty.channel.unix.FileDescriptor;
import io.userspaceproxy.core.model.ListenerKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listening sockets received from an old agent, by key, until a bind of their key adopts them or the apply that
 * follows closes the ones no key took. Each descriptor is this process's own from the moment it arrives: it is
 * either handed to a channel ({@link #take}) or closed here ({@link #closeRest}), never leaked. Control thread only.
 */
final class InheritedSockets {

    private static final Logger log = LoggerFactory.getLogger(InheritedSockets.class);

    private final Map<ListenerKey, List<Integer>> byKey = new HashMap<>();

    /**
     * Keeps {@code descriptors} for the binds to come. On a transport whose channels cannot wrap a descriptor
     * ({@link Transport#supportsHandover()}) they are closed at once (the kernel socket lives on while the old agent
     * holds it, and this agent binds beside it).
     */
    void add(Collection<ListenerDescriptor> descriptors, Transport transport) {
        for (ListenerDescriptor d : descriptors) {
            if (!transport.supportsHandover()) {
                log.debug("{} transport cannot adopt inherited sockets; closing the one of {}", transport, d.key());
                close(d.fd());
                continue;
            }
            byKey.computeIfAbsent(d.key(), k -> new ArrayList<>()).add(d.fd());
        }
    }

    /** The descriptors received for {@code key}, now the caller's to register or close; null when none. */
    @Nullable List<Integer> take(ListenerKey key) {
        return byKey.isEmpty() ? null : byKey.remove(key);
    }

    /**
     * Closes the sockets no bind took: their keys are not in this agent's table. This closes only this process's
     * descriptors; the old agent's own close then ends them.
     *
     * @return the keys whose sockets were closed
     */
    List<ListenerKey> closeRest() {
        if (byKey.isEmpty()) {
            return List.of();
        }
        List<ListenerKey> keys = new ArrayList<>(byKey.keySet());
        byKey.values().forEach(fds -> fds.forEach(InheritedSockets::close));
        byKey.clear();
        return keys;
    }

    private static void close(int fd) {
        try {
            new FileDescriptor(fd).close();
        } catch (IOException e) {
            log.debug("closing inherited descriptor {} failed: {}", fd, e.toString());
        }
    }
}
