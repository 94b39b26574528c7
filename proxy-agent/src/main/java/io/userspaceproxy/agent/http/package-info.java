/**
 * The agent's small HTTP endpoints (health, metrics) on Netty's HTTP codec, each server on an event loop of its own,
 * never on a data-plane one; and the JSON quoting their hand-laid bodies share.
 */
@NullMarked
package io.userspaceproxy.agent.http;

import org.jspecify.annotations.NullMarked;
