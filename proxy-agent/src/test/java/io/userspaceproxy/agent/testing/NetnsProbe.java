package io.userspaceproxy.agent.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A "client pod" for network-namespace tests: sends one line over TCP (or one datagram over UDP) and prints the
 * answer (for UDP, prefixed with the answer's source address, so a test can check the client never sees a pod
 * address). Exits non-zero when nothing comes back within the timeout.
 *
 * <p>Usage: {@code NetnsProbe tcp|udp HOST PORT MESSAGE}
 */
public final class NetnsProbe {

    private static final int TIMEOUT_MILLIS = 5000;

    private NetnsProbe() {
    }

    public static void main(String[] args) throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2]));
        String message = args[3];
        if ("udp".equals(args[0])) {
            try (DatagramSocket socket = new DatagramSocket()) {
                socket.setSoTimeout(TIMEOUT_MILLIS);
                byte[] out = message.getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(out, out.length, target));
                byte[] buf = new byte[65535];
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                System.out.println("source=" + in.getAddress().getHostAddress() + ":" + in.getPort() + " "
                        + new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8));
            }
            return;
        }
        try (Socket s = new Socket()) {
            s.connect(target, TIMEOUT_MILLIS);
            s.setSoTimeout(TIMEOUT_MILLIS);
            s.getOutputStream().write((message + "\n").getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line == null) {
                System.out.println("no answer");
                System.exit(1);
            }
            System.out.println(line);
        }
    }
}
