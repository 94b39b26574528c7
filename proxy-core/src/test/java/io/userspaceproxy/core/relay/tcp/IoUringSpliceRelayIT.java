package io.userspaceproxy.core.relay.tcp;

import io.userspaceproxy.core.listen.Transport;

/**
 * {@link SpliceRelayIT}'s scenarios on io_uring, where the relay must first catch up with the receives and writes
 * Netty's channels still have in the ring before it touches a socket ({@link IoUringSpliceSocket}).
 */
class IoUringSpliceRelayIT extends SpliceRelayIT {

    @Override
    Transport transport() {
        return Transport.IO_URING;
    }
}
