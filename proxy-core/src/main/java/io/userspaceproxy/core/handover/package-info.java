/**
 * Hands the listening sockets from a running agent to its successor over a Unix domain socket, so that an upgrade
 * drops nothing.
 */
package io.userspaceproxy.core.handover;
