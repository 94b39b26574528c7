/**
 * Bytes, connections and datagrams through a real in-process {@link io.userspaceproxy.core.listen.ListenerSet} on
 * loopback, each beside the same client talking to the same backend directly in the same run.
 */
package io.userspaceproxy.bench.relay;
