/** The UDP relay: flows keyed by client address, each a connected backend channel with idle expiry. */
package io.userspaceproxy.core.relay.udp;
