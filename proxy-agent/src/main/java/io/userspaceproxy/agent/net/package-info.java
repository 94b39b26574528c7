/** The node's network as the agent changes it: Service addresses on an interface (through {@code ip}), node IPs. */
@NullMarked
package io.userspaceproxy.agent.net;

import org.jspecify.annotations.NullMarked;
