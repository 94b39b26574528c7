package io.userspaceproxy.core.balance;

import io.userspaceproxy.core.model.ServicePortName;
import java.net.InetAddress;

/**
 * Who an affinity record belongs to: one client IP (any source port) of one service port. The only allocation of an
 * affinity lookup: it holds the route's {@link ServicePortName} and the client's {@link InetAddress} by reference,
 * so building it copies nothing, and equality takes the identity shortcut when the route object is the one that
 * recorded the entry.
 */
record AffinityKey(ServicePortName servicePort, InetAddress client) {
}
