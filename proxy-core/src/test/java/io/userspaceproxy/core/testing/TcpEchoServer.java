package io.userspaceproxy.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A backend that says who it is, then echoes: on accept it writes its name and a newline, then returns every byte it
 * reads until the client shuts down its output, and then closes. Tests tell endpoints apart by the first line.
 */
public final class TcpEchoServer extends TcpTestServer {

    private final String name;

    public TcpEchoServer(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    @Override
    protected void serve(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            out.write(buffer, 0, n);
            out.flush();
        }
        socket.shutdownOutput();
    }
}
