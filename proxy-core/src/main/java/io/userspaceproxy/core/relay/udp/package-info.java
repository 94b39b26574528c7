/** The UDP relay: flows keyed by client address, each a connected backend channel with idle expiry. */
@NullMarked
package io.userspaceproxy.core.relay.udp;

import org.jspecify.annotations.NullMarked;
