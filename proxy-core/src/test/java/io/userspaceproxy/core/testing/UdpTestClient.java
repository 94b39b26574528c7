package io.userspaceproxy.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * A plain blocking UDP client bound to a chosen loopback source address (127.0.0.2, 127.0.0.3, ... stand for
 * distinct client IPs). Receives into a 65,535-byte buffer so nothing is truncated.
 */
public final class UdpTestClient implements AutoCloseable {

    private final DatagramSocket socket;

    private UdpTestClient(DatagramSocket socket) {
        this.socket = socket;
    }

    /** A client on {@code sourceIp} and an ephemeral port. */
    public static UdpTestClient bind(String sourceIp) {
        try {
            return new UdpTestClient(new DatagramSocket(new InetSocketAddress(InetAddress.getByName(sourceIp), 0)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    public void send(InetSocketAddress to, byte[] payload) {
        try {
            socket.send(new DatagramPacket(payload, payload.length, to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void send(InetSocketAddress to, String payload) {
        send(to, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** The next datagram to arrive within {@code timeout}, or empty. */
    public Optional<Reply> receive(Duration timeout) {
        byte[] buffer = new byte[65_535];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        try {
            socket.setSoTimeout(Math.toIntExact(Math.max(1, timeout.toMillis())));
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.of(new Reply((InetSocketAddress) packet.getSocketAddress(),
                Arrays.copyOf(packet.getData(), packet.getLength())));
    }

    /** Sends {@code payload} and returns the reply, or empty if none came within {@code timeout}. */
    public Optional<Reply> exchange(InetSocketAddress to, String payload, Duration timeout) {
        send(to, payload);
        return receive(timeout);
    }

    @Override
    public void close() {
        socket.close();
    }

    /** A datagram received, with the address it came from. */
    public record Reply(InetSocketAddress source, byte[] payload) {

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The name of the echo backend that answered (what precedes the first ':'). */
        public String backend() {
            String text = text();
            int colon = text.indexOf(':');
            return colon < 0 ? "" : text.substring(0, colon);
        }
    }
}
