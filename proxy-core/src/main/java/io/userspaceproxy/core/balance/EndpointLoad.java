package io.userspaceproxy.core.balance;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open connections to one endpoint, for least-connections balancing: incremented when a connection to it is made,
 * released by that connection when it ends (it keeps the counter it was given, so no lookup is needed then).
 */
public final class EndpointLoad extends AtomicInteger {

    private static final long serialVersionUID = 1L;

    /** The connection counted here ended. */
    public void release() {
        decrementAndGet();
    }
}
