package io.userspaceproxy.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A backend that keeps everything each connection sent, up to the client's end, then answers with its name and
 * closes: for tests of what reaches a backend before the client's bytes (a PROXY protocol header).
 */
public final class TcpCaptureServer extends TcpTestServer {

    private final String name;
    private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();

    public TcpCaptureServer(String name) {
        this.name = name;
    }

    @Override
    protected void serve(Socket socket) throws IOException {
        received.add(socket.getInputStream().readAllBytes());
        socket.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
        socket.shutdownOutput();
    }

    /** The bytes of the next connection that ended, waiting up to 10 s for one; fails the test when none did. */
    public byte[] nextBytes() throws InterruptedException {
        byte[] bytes = received.poll(10, TimeUnit.SECONDS);
        assertThat(bytes).as("a connection reached backend " + name).isNotNull();
        return bytes;
    }

    /** {@link #nextBytes()} as ASCII text. */
    public String next() throws InterruptedException {
        return new String(nextBytes(), StandardCharsets.US_ASCII);
    }
}
