/**
 * Hands the listening sockets from a running agent to its successor over a Unix domain socket, so that an upgrade
 * drops nothing.
 */
@NullMarked
package io.userspaceproxy.core.handover;

import org.jspecify.annotations.NullMarked;
