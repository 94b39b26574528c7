/** The agent's own process: its open-files limit and listener-socket budget, heap tuning, and log levels. */
@NullMarked
package io.userspaceproxy.agent.process;

import org.jspecify.annotations.NullMarked;
