package io.userspaceproxy.core.testing;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;

/**
 * A backend that swallows everything: it reads until the client shuts down its output, then answers with what it
 * received, as {@link TcpPayload.Summary#writeTo 16 bytes} (byte count and CRC32), and closes.
 */
public final class TcpSinkServer extends TcpTestServer {

    @Override
    protected void serve(Socket socket) throws IOException {
        TcpPayload.Summary received = TcpPayload.readToEnd(socket.getInputStream());
        DataOutputStream out = new DataOutputStream(socket.getOutputStream());
        received.writeTo(out);
        out.flush();
        socket.shutdownOutput();
    }
}
