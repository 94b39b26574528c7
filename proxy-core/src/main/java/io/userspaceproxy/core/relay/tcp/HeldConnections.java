package io.userspaceproxy.core.relay.tcp;

import io.userspaceproxy.core.metrics.CloseReason;
import io.userspaceproxy.core.model.ConnectionLifecycle;
import io.userspaceproxy.core.model.ServicePortName;
import io.userspaceproxy.core.table.LiveRoute;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * New TCP connections held, accepted and unread, while their service port has no endpoint: the scale-from-zero
 * path of {@code userspace-proxy.io/hold-when-empty}. A held connection reads nothing, so what its client sends
 * waits in the kernel's socket buffer and nothing is lost or copied; it costs a descriptor and one entry here.
 *
 * <ul>
 *   <li><b>Bounds.</b> At most the route's {@link ConnectionLifecycle#holdLimit()} per service port and
 *       {@link TcpListenerContext#maxHeldConnections()} on the node; past either, a connection is refused at once
 *       as it would be without the annotation.</li>
 *   <li><b>Release.</b> After a sync changed a service port's routes ({@link #onRoutesChanged}), each connection
 *       whose own listener's route now has endpoints is routed again, in arrival order, on its event loop: one pick,
 *       the usual connect with its retries, and the relay, as if it had just arrived.</li>
 *   <li><b>Timeout.</b> One that is still held at the end of its route's {@link ConnectionLifecycle#hold()} is
 *       reset ({@link CloseReason#HOLD_TIMEOUT}); so is every held connection when the agent drains
 *       ({@link #resetAll}): there is nowhere to send them.</li>
 *   <li><b>Demand.</b> Each hold is counted on the service port ({@code held} now, {@code hold demand} ever) and
 *       told to the observer, which turns it into the signal to scale up.</li>
 * </ul>
 *
 * <p>Threading: holds and timeouts run on the connection's event loop; releases are decided on the control thread
 * and run on the event loops. A service port's queue is only touched inside the map's {@code compute} for its key,
 * which also drops the queue once empty, so a Service that held once costs nothing after. Each entry is taken
 * exactly once, by whichever comes first ({@link Held#take}).
 */
public final class HeldConnections {

    private final Map<ServicePortName, ArrayDeque<Held>> byServicePort = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private volatile Consumer<ServicePortName> observer = servicePort -> { };

    /** One held connection, and how to route it once it may go. */
    static final class Held {
        final TcpFrontendHandler handler;
        final TcpConnection connection;
        final TcpListenerContext context;
        final ServicePortName servicePort;
        final InetSocketAddress client;
        final @Nullable InetSocketAddress dialled;
        private final AtomicBoolean taken = new AtomicBoolean();
        private volatile @Nullable Future<?> timeout;

        Held(TcpFrontendHandler handler, TcpConnection connection, TcpListenerContext context,
                ServicePortName servicePort, InetSocketAddress client, @Nullable InetSocketAddress dialled) {
            this.handler = handler;
            this.connection = connection;
            this.context = context;
            this.servicePort = servicePort;
            this.client = client;
            this.dialled = dialled;
        }

        /** Claims the entry for whoever ends its hold; true once only. */
        boolean take() {
            return taken.compareAndSet(false, true);
        }
    }

    /** Tells {@code newObserver} of each connection held, with its service port; it must not block. */
    public void observe(Consumer<ServicePortName> newObserver) {
        this.observer = Objects.requireNonNull(newObserver, "observer");
    }

    /** How many connections are held now, on the whole node. */
    public int size() {
        return total.get();
    }

    /**
     * Holds a connection whose route has no endpoint, if the route asks for it and the bounds allow; on its event
     * loop. The frontend stops reading until it is released.
     *
     * @param dialled the address the client dialled, when a PROXY protocol header named it; else null
     * @return the entry, or null when the caller refuses the connection as before
     */
    @Nullable Held hold(TcpFrontendHandler handler, TcpConnection connection, TcpListenerContext context,
            LiveRoute route, InetSocketAddress client, @Nullable InetSocketAddress dialled) {
        ConnectionLifecycle lifecycle = route.route().lifecycle();
        if (!lifecycle.holdsWhenEmpty()) {
            return null;
        }
        if (total.incrementAndGet() > context.maxHeldConnections()) {
            total.decrementAndGet();
            return null;
        }
        ServicePortName servicePort = route.route().servicePort();
        Held held = new Held(handler, connection, context, servicePort, client, dialled);
        boolean[] added = new boolean[1];
        byServicePort.compute(servicePort, (sp, queue) -> {
            ArrayDeque<Held> q = queue != null ? queue : new ArrayDeque<>();
            if (q.size() < lifecycle.holdLimit()) {
                added[0] = q.add(held);
            }
            return q.isEmpty() ? null : q;
        });
        if (!added[0]) {
            total.decrementAndGet();
            return null;
        }
        connection.frontend().config().setAutoRead(false);
        held.timeout = connection.frontend().eventLoop().schedule(() -> expire(held),
                lifecycle.hold().toNanos(), TimeUnit.NANOSECONDS);
        connection.counters().onHeld();
        observer.accept(servicePort);
        return held;
    }

    private void expire(Held held) {
        if (end(held)) {
            held.connection.close(CloseReason.HOLD_TIMEOUT);
        }
    }

    /** The client went away while held; on its event loop. */
    void onFrontendClosed(Held held) {
        end(held);
    }

    /** Takes {@code held} off the books; false when someone else already did. */
    private boolean end(Held held) {
        if (!held.take()) {
            return false;
        }
        byServicePort.computeIfPresent(held.servicePort, (sp, q) -> q.remove(held) && q.isEmpty() ? null : q);
        total.decrementAndGet();
        held.connection.counters().onHoldEnded();
        Future<?> timeout = held.timeout;
        if (timeout != null) {
            timeout.cancel(false);
        }
        return true;
    }

    /** The connections held now for {@code servicePort}, oldest first. */
    private List<Held> heldFor(ServicePortName servicePort) {
        List<Held> out = new ArrayList<>();
        byServicePort.computeIfPresent(servicePort, (sp, q) -> {
            out.addAll(q);
            return q;
        });
        return out;
    }

    /**
     * After a sync changed the routes of {@code servicePorts}: every held connection of theirs whose listener's route
     * now has an endpoint (or whose listener is gone) is released, in arrival order, on its event loop. O(held).
     */
    public void onRoutesChanged(Collection<ServicePortName> servicePorts) {
        if (total.get() == 0) {
            return;
        }
        for (ServicePortName servicePort : servicePorts) {
            for (Held held : heldFor(servicePort)) {
                LiveRoute now = held.context.lookupRoute();
                if (now == null || !now.route().endpoints().isEmpty()) {
                    held.connection.frontend().eventLoop().execute(() -> release(held));
                }
            }
        }
    }

    private void release(Held held) {
        if (!end(held)) {
            return;
        }
        LiveRoute now = held.context.lookupRoute();
        if (now == null) {
            held.connection.close(CloseReason.NO_ENDPOINTS);
            return;
        }
        held.handler.route(now, held.client, held.dialled);
    }

    /** Resets every held connection (the agent is draining: there is nowhere to send them); on their event loops. */
    public void resetAll() {
        for (ServicePortName servicePort : List.copyOf(byServicePort.keySet())) {
            for (Held held : heldFor(servicePort)) {
                held.connection.frontend().eventLoop().execute(() -> {
                    if (end(held)) {
                        held.connection.close(CloseReason.SHUTDOWN);
                    }
                });
            }
        }
    }
}
