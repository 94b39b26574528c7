package io.userspaceproxy.bench.relay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;

/**
 * A UDP backend on 127.0.0.1 that sends every datagram back to where it came from, on one daemon thread of its own
 * and a plain blocking socket: the same cost on the direct and the proxied path, nothing shared with the proxy.
 */
final class LoopbackUdpEcho implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;

    LoopbackUdpEcho() {
        try {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
        thread = new Thread(this::echo, "udp-echo");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void echo() {
        DatagramPacket packet = new DatagramPacket(new byte[65_536], 65_536);
        while (!socket.isClosed()) {
            try {
                packet.setLength(65_536);
                socket.receive(packet);
                socket.send(packet);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
