package io.userspaceproxy.core.relay.udp;

import io.netty.buffer.ByteBuf;
import io.userspaceproxy.core.metrics.ServicePortCounters;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The first datagrams of new UDP clients of one listener socket, held while the service port has no endpoint
 * ({@code userspace-proxy.io/hold-when-empty}), in arrival order: the UDP side of holding for a Service scaled to
 * zero. A held client keeps the flow slot it took ({@code --max-udp-flows} bounds these too), at most
 * {@link #MAX_BYTES_PER_CLIENT} of its datagrams (later ones are dropped, counted), and counts against the route's
 * {@link ConnectionLifecycle#holdLimit()} for its service port. When the listener's route gains an endpoint, each held
 * client gets its flow, oldest first, and its datagrams are sent in the order they came; at the end of the hold time
 * they are dropped, counted.
 *
 * <p>Threading: the listener's event loop only, like its flows.
 */
final class UdpHeldFlows {

    /** What one held client may keep: its first datagrams up to this many bytes. */
    static final int MAX_BYTES_PER_CLIENT = 64 * 1024;

    private static final class Client {
        final ServicePortCounters counters;
        final ArrayDeque<ByteBuf> datagrams = new ArrayDeque<>();
        int bytes;
        @Nullable Future<?> timeout;

        Client(ServicePortCounters counters) {
            this.counters = counters;
        }
    }

    private final UdpListenerFlows flows;
    private final Map<InetSocketAddress, Client> clients = new LinkedHashMap<>();

    UdpHeldFlows(UdpListenerFlows flows) {
        this.flows = flows;
    }

    /**
     * Holds {@code content} (retaining it: the caller still releases its reference) for a client of {@code route},
     * which has no endpoint now, if the route asks for it and the bounds allow. A new client must have taken a flow
     * slot, which it keeps while held.
     *
     * @return true when held; false when the caller drops the datagram (and the slot) as before
     */
    boolean hold(InetSocketAddress client, ByteBuf content, LiveRoute route) {
        ConnectionLifecycle lifecycle = route.route().lifecycle();
        if (!lifecycle.holdsWhenEmpty()) {
            return false;
        }
        ServicePortCounters counters = route.counters();
        if (counters.held() >= lifecycle.holdLimit()) {
            return false;
        }
        Client held = new Client(counters);
        clients.put(client, held);
        counters.onHeld();
        flows.owner().onHeld(route.route().servicePort());
        held.timeout = flows.listenerChannel().eventLoop().schedule(() -> expire(client, held),
                lifecycle.hold().toNanos(), TimeUnit.NANOSECONDS);
        add(held, content);
        return true;
    }

    /** Whether {@code client} is held now: its next datagrams join the ones held. */
    boolean isHeld(InetSocketAddress client) {
        return !clients.isEmpty() && clients.containsKey(client);
    }

    /** Adds a datagram of a held client (retained), or drops it past {@link #MAX_BYTES_PER_CLIENT}, counted. */
    void add(InetSocketAddress client, ByteBuf content) {
        add(Objects.requireNonNull(clients.get(client), "not held"), content);
    }

    private static void add(Client held, ByteBuf content) {
        int n = content.readableBytes();
        if (held.bytes + n > MAX_BYTES_PER_CLIENT) {
            held.counters.onUdpDatagramDropped();
            return;
        }
        held.bytes += n;
        held.datagrams.add(content.retain());
    }

    private void expire(InetSocketAddress client, Client held) {
        if (clients.remove(client, held)) {
            end(held);
            drop(held);
        }
    }

    /**
     * The listener's route changed: when it has an endpoint, every held client gets its flow, oldest first, and its
     * datagrams are sent in order; when the listener has no route any more, they are dropped.
     */
    void onRouteChanged(@Nullable LiveRoute route) {
        if (clients.isEmpty() || (route != null && route.route().endpoints().isEmpty())) {
            return;
        }
        List<Map.Entry<InetSocketAddress, Client>> oldestFirst = new ArrayList<>(clients.entrySet());
        clients.clear();
        for (Map.Entry<InetSocketAddress, Client> e : oldestFirst) {
            Client held = e.getValue();
            end(held);
            UdpFlow flow = route == null ? null : flows.open(e.getKey());
            if (flow == null) {
                drop(held);
                continue;
            }
            ByteBuf datagram;
            long now = flows.owner().ticker().read();
            while ((datagram = held.datagrams.poll()) != null) {
                flow.toBackend(datagram, now);
            }
            flow.flushBackend();
        }
    }

    /** Drops everything held (the listener closed). */
    void clear() {
        for (Client held : clients.values()) {
            end(held);
            drop(held);
        }
        clients.clear();
    }

    /** The hold is over: its slot and its count go, whatever happens to its datagrams. */
    private void end(Client held) {
        if (held.timeout != null) {
            held.timeout.cancel(false);
        }
        held.counters.onHoldEnded();
        flows.owner().releaseFlow();
    }

    private static void drop(Client held) {
        ByteBuf datagram;
        while ((datagram = held.datagrams.poll()) != null) {
            datagram.release();
            held.counters.onUdpDatagramDropped();
        }
    }
}
