/** Endpoint choice for new connections and flows: round-robin and ClientIP affinity, lock-free and allocation-free. */
package io.userspaceproxy.core.balance;
