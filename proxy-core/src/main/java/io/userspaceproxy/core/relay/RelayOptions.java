package io.userspaceproxy.core.relay;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the relay connects, times out and buffers; the same for every service port. Validated at construction with
 * messages that name the field, the value and what was expected, so a bad flag or config file fails at start with
 * a readable line rather than deep inside Netty.
 *
 * @param connectTimeouts          one entry per connect attempt, in order: attempt {@code i} waits at most
 *                                 {@code connectTimeouts.get(i)} and each retry goes to the next endpoint. The default
 *                                 is the legacy userspace proxier's schedule, 250 ms, 500 ms, 1 s, 2 s.
 * @param tcpIdleTimeout           a TCP connection on which nothing moved in either direction for this long is
 *                                 closed; {@link Duration#ZERO} disables it. The default is Envoy tcp_proxy's 1 h.
 * @param writeBufferLowWaterMark  bytes queued towards one side below which the other side is read again
 * @param writeBufferHighWaterMark bytes queued towards one side above which the other side is no longer read; this
 *                                 bounds what a connection buffers in the proxy when one peer is slower than the other
 * @param spliceThresholdBytes     on epoll and io_uring, a connection one of whose read loops moved at least this
 *                                 many bytes leaves the copy relay for {@code splice(2)} through pipes, so its
 *                                 payload no longer enters the JVM; {@code 0} keeps every connection on the copy
 *                                 relay. A read loop that fills more than one read buffer is the sign of a bulk
 *                                 transfer (HAProxy's splice-auto looks for a full buffer); request/response traffic
 *                                 rarely does.
 * @param maxHeldConnections       how many TCP connections this node holds at once, across every Service that asks to
 *                                 hold them while it has no endpoint ({@code hold-when-empty}); past it new ones are
 *                                 refused at once, as without the annotation
 */
public record RelayOptions(
        List<Duration> connectTimeouts,
        Duration tcpIdleTimeout,
        int writeBufferLowWaterMark,
        int writeBufferHighWaterMark,
        int spliceThresholdBytes,
        int maxHeldConnections) {

    // Declared before DEFAULT, whose construction validates against them.
    /** Netty takes timeouts as int milliseconds; anything longer cannot be expressed. */
    private static final Duration MAX_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(1);

    public static final List<Duration> DEFAULT_CONNECT_TIMEOUTS = List.of(
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));
    public static final Duration DEFAULT_TCP_IDLE_TIMEOUT = Duration.ofHours(1);
    public static final int DEFAULT_WRITE_BUFFER_LOW_WATER_MARK = 32 * 1024;
    public static final int DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK = 64 * 1024;
    public static final int DEFAULT_SPLICE_THRESHOLD_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_HELD_CONNECTIONS = 10_000;

    public static final RelayOptions DEFAULT = new RelayOptions(DEFAULT_CONNECT_TIMEOUTS, DEFAULT_TCP_IDLE_TIMEOUT,
            DEFAULT_WRITE_BUFFER_LOW_WATER_MARK, DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK, DEFAULT_SPLICE_THRESHOLD_BYTES,
            DEFAULT_MAX_HELD_CONNECTIONS);

    public RelayOptions {
        Objects.requireNonNull(connectTimeouts, "connectTimeouts");
        Objects.requireNonNull(tcpIdleTimeout, "tcpIdleTimeout");
        connectTimeouts = List.copyOf(connectTimeouts);
        if (connectTimeouts.isEmpty()) {
            throw new IllegalArgumentException("connectTimeouts: [] (expected: at least one attempt)");
        }
        for (int i = 0; i < connectTimeouts.size(); i++) {
            requireTimeout("connectTimeouts[" + i + "]", connectTimeouts.get(i));
        }
        if (tcpIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("tcpIdleTimeout: " + tcpIdleTimeout + " (expected: >= 0, 0 disables)");
        }
        if (!tcpIdleTimeout.isZero()) {
            requireTimeout("tcpIdleTimeout", tcpIdleTimeout);
        }
        if (writeBufferLowWaterMark <= 0) {
            throw new IllegalArgumentException("writeBufferLowWaterMark: " + writeBufferLowWaterMark + " (expected: > 0)");
        }
        if (writeBufferHighWaterMark < writeBufferLowWaterMark) {
            throw new IllegalArgumentException("writeBufferHighWaterMark: " + writeBufferHighWaterMark
                    + " (expected: >= writeBufferLowWaterMark " + writeBufferLowWaterMark + ")");
        }
        if (spliceThresholdBytes < 0) {
            throw new IllegalArgumentException(
                    "spliceThresholdBytes: " + spliceThresholdBytes + " (expected: >= 0, 0 disables splicing)");
        }
        if (maxHeldConnections < 0) {
            throw new IllegalArgumentException(
                    "maxHeldConnections: " + maxHeldConnections + " (expected: >= 0, 0 holds none)");
        }
    }

    /** Options with the default held-connection limit. */
    public RelayOptions(List<Duration> connectTimeouts, Duration tcpIdleTimeout, int writeBufferLowWaterMark,
            int writeBufferHighWaterMark, int spliceThresholdBytes) {
        this(connectTimeouts, tcpIdleTimeout, writeBufferLowWaterMark, writeBufferHighWaterMark, spliceThresholdBytes,
                DEFAULT_MAX_HELD_CONNECTIONS);
    }

    /** Options with the default splice threshold. */
    public RelayOptions(List<Duration> connectTimeouts, Duration tcpIdleTimeout, int writeBufferLowWaterMark,
            int writeBufferHighWaterMark) {
        this(connectTimeouts, tcpIdleTimeout, writeBufferLowWaterMark, writeBufferHighWaterMark,
                DEFAULT_SPLICE_THRESHOLD_BYTES);
    }

    private static void requireTimeout(String name, Duration value) {
        if (value.compareTo(MIN_TIMEOUT) < 0 || value.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException(
                    name + ": " + value + " (expected: >= " + MIN_TIMEOUT + " and <= " + MAX_TIMEOUT + ")");
        }
    }

    /** Whether idle connections are closed at all. */
    public boolean isIdleTimeoutEnabled() {
        return !tcpIdleTimeout.isZero();
    }

    public RelayOptions withConnectTimeouts(List<Duration> timeouts) {
        return new RelayOptions(timeouts, tcpIdleTimeout, writeBufferLowWaterMark, writeBufferHighWaterMark,
                spliceThresholdBytes, maxHeldConnections);
    }

    public RelayOptions withTcpIdleTimeout(Duration timeout) {
        return new RelayOptions(connectTimeouts, timeout, writeBufferLowWaterMark, writeBufferHighWaterMark,
                spliceThresholdBytes, maxHeldConnections);
    }

    public RelayOptions withWriteBufferWaterMarks(int low, int high) {
        return new RelayOptions(connectTimeouts, tcpIdleTimeout, low, high, spliceThresholdBytes, maxHeldConnections);
    }

    public RelayOptions withSpliceThresholdBytes(int bytes) {
        return new RelayOptions(connectTimeouts, tcpIdleTimeout, writeBufferLowWaterMark, writeBufferHighWaterMark,
                bytes, maxHeldConnections);
    }

    public RelayOptions withMaxHeldConnections(int max) {
        return new RelayOptions(connectTimeouts, tcpIdleTimeout, writeBufferLowWaterMark, writeBufferHighWaterMark,
                spliceThresholdBytes, max);
    }

    /** Whether connections may leave the copy relay for splice(2) at all. */
    public boolean isSpliceEnabled() {
        return spliceThresholdBytes > 0;
    }
}
