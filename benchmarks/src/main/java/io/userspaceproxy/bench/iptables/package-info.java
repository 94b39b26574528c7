/**
 * kube-proxy's iptables mode, reproduced for comparison: the rule set it writes (for timing the real
 * {@code iptables-restore}) and an in-memory model of the walk the kernel makes for a connection's first packet.
 */
package io.userspaceproxy.bench.iptables;
