/** The agent's own process: its open-files limit and listener-socket budget, heap tuning, and log levels. */
package io.userspaceproxy.agent.process;
