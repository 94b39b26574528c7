package io.userspaceproxy.core.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A backend on a given loopback port that answers every connection with one line and closes it: for an endpoint
 * that was dead (nothing listened on its port) and comes back. Closing it stops it.
 */
public final class TcpLineServer implements AutoCloseable {

    private final ServerSocket server;

    private TcpLineServer(ServerSocket server, String line) {
        this.server = server;
        Thread answer = new Thread(() -> answerUntilClosed(line), "line-server-" + server.getLocalPort());
        answer.setDaemon(true);
        answer.start();
    }

    /** Starts answering {@code line} on 127.0.0.1:{@code port}. */
    public static TcpLineServer start(int port, String line) throws IOException {
        return new TcpLineServer(new ServerSocket(port, 50, InetAddress.getLoopbackAddress()), line);
    }

    private void answerUntilClosed(String line) {
        while (!server.isClosed()) {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
