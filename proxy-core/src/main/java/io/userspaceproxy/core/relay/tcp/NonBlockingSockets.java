package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets {@code O_NONBLOCK} on a socket that Netty's io_uring transport made blocking (io_uring does not need the flag,
 * and Netty's io_uring channels go without it). {@code splice(2)} honours only the socket's own flag: on a blocking
 * socket it waits for data, or for room for the whole pipe, with the event loop's thread.
 *
 * <p>Neither Netty nor the JDK exposes {@code fcntl} for an arbitrary descriptor, but Netty's {@link Socket#recvFd}
 * sets {@code O_NONBLOCK} on every descriptor it receives, for its own epoll use. The flag belongs to the open file
 * that a descriptor refers to, which {@code SCM_RIGHTS} passes on, not to the descriptor: so the socket is sent
 * through a connected pair of Unix sockets of this thread, and the copy that arrives is closed at once. That is a
 * {@code sendmsg}, a {@code recvmsg}, a {@code fcntl} and a {@code close}, once per socket that is spliced.
 *
 * <p>The pair is made per thread on first use, in the abstract namespace (no file), and closed with the thread's
 * other {@link FastThreadLocal}s.
 */
final class NonBlockingSockets {

    private static final Logger log = LoggerFactory.getLogger(NonBlockingSockets.class);

    private static final FastThreadLocal<Socket[]> PAIR = new FastThreadLocal<>() {
        @Override
        protected Socket[] initialValue() throws IOException {
            return connectedPair();
        }

        @Override
        protected void onRemoval(Socket[] pair) {
            for (Socket socket : pair) {
                close(socket);
            }
        }
    };

    private NonBlockingSockets() {
    }

    /**
     * Sets {@code O_NONBLOCK} on {@code socket}'s open file, for every descriptor that refers to it. After a failure
     * (typically the open-files limit, when the copy cannot be received) the pair is closed, and with it anything
     * still queued in it: a later call never receives an earlier socket.
     */
    static void set(FileDescriptor socket) throws IOException {
        Socket[] pair = PAIR.get();
        int received;
        try {
            pair[0].sendFd(socket.intValue());
            received = pair[1].recvFd();
        } catch (IOException e) {
            PAIR.remove();
            throw e;
        }
        if (received <= 0) {
            PAIR.remove();
            throw new IOException("the socket sent to this thread's own pair did not arrive");
        }
        new FileDescriptor(received).close();
    }

    private static Socket[] connectedPair() throws IOException {
        DomainSocketAddress address = new DomainSocketAddress(
                "\0userspace-proxy-nonblocking-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Socket listener = Socket.newSocketDomain();
        Socket sender = Socket.newSocketDomain();
        try {
            listener.bind(address);
            listener.listen(1);
            sender.connect(address); // a Unix stream socket connects at once while the backlog has room
            int accepted = listener.accept(new byte[128]);
            if (accepted <= 0) {
                throw new IOException("no connection to accept on " + address.path().substring(1));
            }
            return new Socket[] {sender, new Socket(accepted)};
        } catch (IOException e) {
            close(sender);
            throw e;
        } finally {
            close(listener);
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("closing a descriptor-passing socket failed: {}", e.toString());
        }
    }
}
