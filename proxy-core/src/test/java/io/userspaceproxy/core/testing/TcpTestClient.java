package io.userspaceproxy.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A blocking client for loopback tests. Every read gives up after the read timeout (so a test that expects bytes
 * fails instead of hanging), lines are read byte by byte so nothing after the newline is consumed.
 */
public final class TcpTestClient implements AutoCloseable {

    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private TcpTestClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static TcpTestClient connect(InetSocketAddress address) throws IOException {
        return connect(address, null, 0);
    }

    /**
     * Connects to {@code address}, from {@code localAddress} when not null (to act as another client IP on
     * loopback) and with a receive buffer of {@code receiveBufferBytes} when positive (set before connecting, so
     * the kernel does not grow it).
     */
    public static TcpTestClient connect(InetSocketAddress address, InetAddress localAddress, int receiveBufferBytes)
            throws IOException {
        Socket socket = new Socket();
        try {
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            if (localAddress != null) {
                socket.bind(new InetSocketAddress(localAddress, 0));
            }
            socket.connect(address, 5_000);
            socket.setSoTimeout((int) DEFAULT_READ_TIMEOUT.toMillis());
            return new TcpTestClient(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    public Socket socket() {
        return socket;
    }

    public InputStream input() {
        return in;
    }

    public OutputStream output() {
        return out;
    }

    public TcpTestClient readTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        return this;
    }

    /** The next line without its newline, or {@code null} at end of stream. */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return line.toString(StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }

    public TcpTestClient writeLine(String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return this;
    }

    /** Sends a FIN: the client will write nothing more but keeps reading. */
    public TcpTestClient shutdownOutput() throws IOException {
        socket.shutdownOutput();
        return this;
    }

    /** Reads one byte: -1 at end of stream; throws when the connection was reset or the read timed out. */
    public int read() throws IOException {
        return in.read();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
