/**
 * The executable: the command line ({@code Main}), the running agent that wires its parts ({@code ProxyAgent}), the
 * upgrade hand-over and the agent's own process concerns (open-files limit, heap tuning, logging levels).
 */
@NullMarked
package io.userspaceproxy.agent;

import org.jspecify.annotations.NullMarked;
