package io.userspaceproxy.agent.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A "pod" for network-namespace tests: answers every TCP line or UDP datagram with its own name, the peer it saw
 * and the payload ({@code NAME from=1.2.3.4 payload}), so a test can tell which endpoint answered and from where.
 * Runs until its process is ended.
 *
 * <p>Usage: {@code NetnsEchoServer tcp|udp BIND_IP PORT NAME}
 */
public final class NetnsEchoServer {

    private NetnsEchoServer() {
    }

    public static void main(String[] args) throws Exception {
        String proto = args[0];
        InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2]));
        String name = args[3];
        if ("udp".equals(proto)) {
            serveUdp(bind, name);
        } else {
            serveTcp(bind, name);
        }
    }

    private static void serveTcp(InetSocketAddress bind, String name) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(bind);
            System.out.println("listening " + bind);
            while (true) {
                Socket s = server.accept();
                Thread t = new Thread(() -> answer(s, name), "echo");
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void answer(Socket s, String name) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                String reply = name + " from=" + s.getInetAddress().getHostAddress() + " " + line + "\n";
                out.write(reply.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (Exception e) {
            System.out.println("connection ended: " + e);
        }
    }

    private static void serveUdp(InetSocketAddress bind, String name) throws Exception {
        try (DatagramSocket socket = new DatagramSocket(bind)) {
            System.out.println("listening udp " + bind);
            byte[] buf = new byte[65535];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                String payload = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                byte[] reply = (name + " from=" + p.getAddress().getHostAddress() + " " + payload)
                        .getBytes(StandardCharsets.UTF_8);
                socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
            }
        }
    }
}
