package io.userspaceproxy.agent.http;

import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * An HTTP endpoint could not listen on its address (port in use, address not on this host, permission denied).
 * The message names the server, the address and the operating system's reason, so the caller can log it as is.
 */
public final class HttpBindException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient InetSocketAddress address;

    HttpBindException(String serverName, InetSocketAddress address, IOException cause) {
        super(serverName + " server: cannot listen on " + IpAddresses.format(address) + ": " + reason(cause), cause);
        this.address = address;
    }

    /** The address that could not be bound, as it was requested. */
    public InetSocketAddress address() {
        return address;
    }

    private static String reason(IOException cause) {
        String message = cause.getMessage();
        return message == null || message.isEmpty() ? cause.getClass().getSimpleName() : message;
    }
}
