/** The TCP relay: accept, connect with retries on the accepting event loop, relay with backpressure and half-close. */
package io.userspaceproxy.core.relay.tcp;
