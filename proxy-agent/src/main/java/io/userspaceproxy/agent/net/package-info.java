/** The node's network as the agent changes it: Service addresses on an interface (through {@code ip}), node IPs. */
package io.userspaceproxy.agent.net;
