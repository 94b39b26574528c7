/** The TCP relay: accept, connect with retries on the accepting event loop, relay with backpressure and half-close. */
@NullMarked
package io.userspaceproxy.core.relay.tcp;

import org.jspecify.annotations.NullMarked;
