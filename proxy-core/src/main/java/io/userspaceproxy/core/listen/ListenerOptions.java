package io.userspaceproxy.core.listen;

import io.userspaceproxy.core.relay.DirectMemoryGuard;
import io.userspaceproxy.core.relay.RelayOptions;
import io.userspaceproxy.core.relay.udp.UdpRelayOptions;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ListenerSet} runs: which transport, how many event loops, how connections are relayed, and how long
 * {@link ListenerSet#apply} waits for sockets to bind or close before it reports them as failed.
 *
 * @param transport    the I/O transport of every listener and connection
 * @param ioThreads    event loops shared by accepting, relaying and connecting; one per core is the usual choice
 * @param relay        connect schedule, idle timeout, water marks
 * @param bindTimeout  how long one apply waits for its binds (and its listener closes) to complete
 * @param udp          the UDP flow bound and receive batching
 * @param socketBudget how many listening sockets all listeners may hold together before a new key gets one socket
 *                     instead of one per event loop (see {@link ListenerSet}): keeps listeners from using up the
 *                     open-files limit at tens of thousands of Services
 * @param memoryGuard  refuses new TCP connections and UDP flows while direct memory is near its limit, so those
 *                     already open keep relaying; {@link DirectMemoryGuard#jvm()} by default
 */
public record ListenerOptions(Transport transport, int ioThreads, RelayOptions relay, Duration bindTimeout,
        UdpRelayOptions udp, int socketBudget, DirectMemoryGuard memoryGuard) {

    public static final Duration DEFAULT_BIND_TIMEOUT = Duration.ofSeconds(5);

    public ListenerOptions {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(relay, "relay");
        Objects.requireNonNull(bindTimeout, "bindTimeout");
        Objects.requireNonNull(udp, "udp");
        Objects.requireNonNull(memoryGuard, "memoryGuard");
        if (ioThreads <= 0) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: > 0)");
        }
        if (bindTimeout.isNegative() || bindTimeout.isZero()) {
            throw new IllegalArgumentException("bindTimeout: " + bindTimeout + " (expected: > 0)");
        }
        if (socketBudget <= 0) {
            throw new IllegalArgumentException("socketBudget: " + socketBudget + " (expected: > 0)");
        }
    }

    /** Options guarded by this JVM's direct memory. */
    public ListenerOptions(Transport transport, int ioThreads, RelayOptions relay, Duration bindTimeout,
            UdpRelayOptions udp, int socketBudget) {
        this(transport, ioThreads, relay, bindTimeout, udp, socketBudget, DirectMemoryGuard.jvm());
    }

    /** Options without a socket budget: every key gets one socket per event loop where the transport allows. */
    public ListenerOptions(Transport transport, int ioThreads, RelayOptions relay, Duration bindTimeout,
            UdpRelayOptions udp) {
        this(transport, ioThreads, relay, bindTimeout, udp, Integer.MAX_VALUE);
    }

    /** Options with the default UDP settings. */
    public ListenerOptions(Transport transport, int ioThreads, RelayOptions relay, Duration bindTimeout) {
        this(transport, ioThreads, relay, bindTimeout, UdpRelayOptions.DEFAULT);
    }

    /** The best transport here, one event loop per available processor, default relay options, a 5 s bind timeout. */
    public static ListenerOptions defaults() {
        return new ListenerOptions(Transport.best(), Runtime.getRuntime().availableProcessors(), RelayOptions.DEFAULT,
                DEFAULT_BIND_TIMEOUT);
    }

    public ListenerOptions withTransport(Transport newTransport) {
        return new ListenerOptions(newTransport, ioThreads, relay, bindTimeout, udp, socketBudget, memoryGuard);
    }

    public ListenerOptions withIoThreads(int threads) {
        return new ListenerOptions(transport, threads, relay, bindTimeout, udp, socketBudget, memoryGuard);
    }

    public ListenerOptions withRelay(RelayOptions newRelay) {
        return new ListenerOptions(transport, ioThreads, newRelay, bindTimeout, udp, socketBudget, memoryGuard);
    }

    public ListenerOptions withBindTimeout(Duration timeout) {
        return new ListenerOptions(transport, ioThreads, relay, timeout, udp, socketBudget, memoryGuard);
    }

    public ListenerOptions withUdp(UdpRelayOptions newUdp) {
        return new ListenerOptions(transport, ioThreads, relay, bindTimeout, newUdp, socketBudget, memoryGuard);
    }

    public ListenerOptions withSocketBudget(int budget) {
        return new ListenerOptions(transport, ioThreads, relay, bindTimeout, udp, budget, memoryGuard);
    }

    public ListenerOptions withMemoryGuard(DirectMemoryGuard guard) {
        return new ListenerOptions(transport, ioThreads, relay, bindTimeout, udp, socketBudget, guard);
    }
}
