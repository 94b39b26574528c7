/** What TCP and UDP relaying share: timeouts and the pieces both transports use. */
package io.userspaceproxy.core.relay;
