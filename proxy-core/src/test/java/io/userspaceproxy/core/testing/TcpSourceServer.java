package io.userspaceproxy.core.testing;

import java.io.IOException;
import java.net.Socket;

/**
 * A backend that sends {@link TcpPayload} bytes and closes as soon as the last write returns, without waiting for the
 * client: the case where a relay must still deliver the tail after the backend is gone.
 */
public final class TcpSourceServer extends TcpTestServer {

    private final long length;

    public TcpSourceServer(long length) {
        this.length = length;
    }

    public long length() {
        return length;
    }

    @Override
    protected void serve(Socket socket) throws IOException {
        TcpPayload.write(socket.getOutputStream(), length);
        socket.getOutputStream().flush();
    }
}
