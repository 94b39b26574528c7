/** What TCP and UDP relaying share: timeouts and the pieces both transports use. */
@NullMarked
package io.userspaceproxy.core.relay;

import org.jspecify.annotations.NullMarked;
