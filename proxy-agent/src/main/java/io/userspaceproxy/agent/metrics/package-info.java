/** Prometheus metrics of the agent (kube-proxy's names plus the data plane's counters) and the server for them. */
@NullMarked
package io.userspaceproxy.agent.metrics;

import org.jspecify.annotations.NullMarked;
