/**
 * The agent's small HTTP endpoints (health, metrics), served by the JDK's HTTP server on a dedicated
 * two-thread executor, never on a data-plane event loop.
 */
package io.userspaceproxy.agent.http;
