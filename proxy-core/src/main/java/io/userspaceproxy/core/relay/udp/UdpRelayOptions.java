package io.userspaceproxy.core.relay.udp;

/**
 * Limits and socket tuning of the UDP relay, shared by every UDP listener of one {@link UdpFlowTable}.
 *
 * @param maxFlows              live flows allowed across all UDP listeners; past it a datagram from a new client is
 *                              dropped and counted ({@code udpFlowsRejected}) while existing flows keep working. Each
 *                              flow holds one socket, so keep it below the open-files limit.
 * @param receiveBatch          datagrams a listener reads per {@code recvmmsg(2)} call on epoll (1 = one
 *                              {@code recvmsg} per datagram). Every slot is sized for the largest datagram, so one
 *                              read buffer is {@code receiveBatch × 65,535} bytes; the default 4 keeps it at 256 KiB
 *                              per listener while it reads. A flow's backend socket reads one
 *                              datagram per call: replies to one client rarely come in trains. Ignored on io_uring
 *                              (see {@code UdpSockets}) and NIO.
 * @param listenerReceiveBuffer bytes of kernel receive buffer (SO_RCVBUF) each listener socket asks for, so a burst of
 *                              datagrams waits in the kernel while the event loop is busy instead of being dropped
 *                              there; the kernel's default (about 208 KiB) holds only a few hundred small datagrams.
 *                              Set with SO_RCVBUFFORCE where the agent may (CAP_NET_ADMIN), else with SO_RCVBUF, which
 *                              the kernel caps at {@code net.core.rmem_max}. {@code 0} leaves the kernel's default.
 * @param gso                   whether a flow's equal-sized datagrams read in one read loop leave as one generic
 *                              segmentation offload message per run ({@code UdpTrain}; epoll only). Off sends every
 *                              datagram as a message of its own: the switch for a network that mishandles GSO packets.
 */
public record UdpRelayOptions(int maxFlows, int receiveBatch, int listenerReceiveBuffer, boolean gso) {

    /** The largest UDP payload over IPv6 without jumbograms; IPv4 tops out at 65,507. */
    public static final int MAX_DATAGRAM_BYTES = 65_535;
    public static final int DEFAULT_MAX_FLOWS = 65_536;
    public static final int DEFAULT_RECEIVE_BATCH = 4;
    public static final int MAX_RECEIVE_BATCH = 16;
    public static final int DEFAULT_LISTENER_RECEIVE_BUFFER = 4 << 20;
    public static final UdpRelayOptions DEFAULT =
            new UdpRelayOptions(DEFAULT_MAX_FLOWS, DEFAULT_RECEIVE_BATCH, DEFAULT_LISTENER_RECEIVE_BUFFER, true);

    public UdpRelayOptions {
        if (maxFlows <= 0) {
            throw new IllegalArgumentException("maxFlows: " + maxFlows + " (expected: > 0)");
        }
        if (receiveBatch < 1 || receiveBatch > MAX_RECEIVE_BATCH) {
            throw new IllegalArgumentException(
                    "receiveBatch: " + receiveBatch + " (expected: 1.." + MAX_RECEIVE_BATCH + ")");
        }
        if (listenerReceiveBuffer < 0) {
            throw new IllegalArgumentException("listenerReceiveBuffer: " + listenerReceiveBuffer
                    + " (expected: >= 0, 0 keeps the kernel's default)");
        }
    }

    /** Options with the default listener receive buffer, GSO on. */
    public UdpRelayOptions(int maxFlows, int receiveBatch) {
        this(maxFlows, receiveBatch, DEFAULT_LISTENER_RECEIVE_BUFFER, true);
    }

    public UdpRelayOptions withMaxFlows(int newMaxFlows) {
        return new UdpRelayOptions(newMaxFlows, receiveBatch, listenerReceiveBuffer, gso);
    }

    public UdpRelayOptions withReceiveBatch(int newReceiveBatch) {
        return new UdpRelayOptions(maxFlows, newReceiveBatch, listenerReceiveBuffer, gso);
    }

    public UdpRelayOptions withListenerReceiveBuffer(int bytes) {
        return new UdpRelayOptions(maxFlows, receiveBatch, bytes, gso);
    }

    public UdpRelayOptions withGso(boolean on) {
        return new UdpRelayOptions(maxFlows, receiveBatch, listenerReceiveBuffer, on);
    }
}
