/** Endpoint choice for new connections and flows: round-robin and ClientIP affinity, lock-free and allocation-free. */
@NullMarked
package io.userspaceproxy.core.balance;

import org.jspecify.annotations.NullMarked;
