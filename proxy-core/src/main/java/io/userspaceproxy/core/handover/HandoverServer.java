package io.userspaceproxy.core.handover;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.userspaceproxy.core.listen.ListenerDescriptor;
import io.userspaceproxy.core.listen.ListenerSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent's side of an upgrade: listens on a Unix domain socket (mode 0600, and a peer of another user is
 * refused after an {@code SO_PEERCRED} check) for a new agent started with the same command line, lends it every
 * listening socket of a {@link ListenerSet}, and, once the new agent says it serves, has the {@link Retirement} stop
 * accepting, free its HTTP ports and drain. See {@link HandoverProtocol} for the exchange. One hand-over runs at a
 * time, on a thread of its own (lending holds the listener set's lock for the few milliseconds the descriptors take).
 *
 * <p>Until the new agent takes over, nothing changes here: this agent goes on serving on every socket, and a
 * hand-over that fails half-way (the new agent dies, times out, refuses a socket) costs nothing.
 */
public final class HandoverServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HandoverServer.class);
    /** How long a new agent may take between receiving the sockets and taking over: its first sync, and more. */
    private static final Duration TAKEOVER_WAIT = Duration.ofMinutes(10);

    /** What the agent does when its successor takes over, in this order. */
    public interface Retirement {

        /**
         * Stop accepting (closing only this process's descriptors, after deregistering them) and free the ports the
         * successor binds next (health, metrics). Returns once they are free; runs on the hand-over thread.
         */
        void onTakeOver();

        /** The successor knows the ports are free: start draining. Runs on the hand-over thread. */
        void onReleased();
    }

    private final Path path;
    private final ListenerSet listeners;
    private final Retirement retirement;
    private final int uid;
    private final EventLoopGroup group;
    private final ExecutorService worker;
    private @Nullable Channel server;
    private @Nullable Object fileKey;
    private volatile boolean takenOver;

    private HandoverServer(Path path, ListenerSet listeners, Retirement retirement, int uid) {
        this.path = path;
        this.listeners = listeners;
        this.retirement = retirement;
        this.uid = uid;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("handover-io", true),
                EpollIoHandler.newFactory());
        this.worker = Executors.newSingleThreadExecutor(new DefaultThreadFactory("handover", true));
    }

    /**
     * Listens on {@code path}, replacing a file left there (a stale socket of an agent that is gone, or the one of
     * the agent this one took over from). Epoll only.
     *
     * @throws IOException when the socket cannot be bound or its mode set
     */
    public static HandoverServer listen(Path path, ListenerSet listeners, Retirement retirement) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(listeners, "listeners");
        Objects.requireNonNull(retirement, "retirement");
        HandoverServer s = new HandoverServer(path, listeners, retirement, HandoverProtocol.ownUid());
        try {
            s.bind();
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void bind() throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        Files.deleteIfExists(path);
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                        HandoverChannel end = HandoverChannel.attach(ch);
                        worker.execute(() -> serve(end));
                    }
                })
                .bind(new DomainSocketAddress(path.toString()));
        if (!bound.awaitUninterruptibly(HandoverProtocol.STEP_TIMEOUT.toMillis()) || !bound.isSuccess()) {
            throw new IOException("cannot listen on " + path + ": " + bound.cause(), bound.cause());
        }
        server = bound.channel();
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        log.debug("a new agent can take over this one's sockets through {}", path);
    }

    public Path path() {
        return path;
    }

    private void serve(HandoverChannel end) {
        long pid = -1;
        try {
            PeerCredentials peer = end.channel().peerCredentials();
            pid = peer.pid();
            if (peer.uid() != uid) {
                log.warn("refused a hand-over to pid {}: it runs as uid {}, this agent as {}", pid, peer.uid(), uid);
                return;
            }
            String hello = end.readLine(deadline());
            if (!hello.equals(HandoverProtocol.HELLO + " " + HandoverProtocol.VERSION) || takenOver) {
                end.writeLine(HandoverProtocol.REFUSED + (takenOver ? " already handed over" : " version 1 only"));
                throw new HandoverException("refused \"" + hello + "\"" + (takenOver ? ": already handed over" : ""));
            }
            int lent = lend(end);
            log.info("lent {} listening socket(s) to a new agent (pid {}); serving on until it takes over", lent, pid);
            String next = end.readLine(System.nanoTime() + TAKEOVER_WAIT.toNanos());
            if (!next.equals(HandoverProtocol.TAKEOVER)) {
                throw new HandoverException("expected " + HandoverProtocol.TAKEOVER + ", got \"" + next + "\"");
            }
            takenOver = true;
            stopListening();
            retirement.onTakeOver();
            end.writeLine(HandoverProtocol.RELEASED);
            log.info("the new agent (pid {}) took over every listening socket; draining", pid);
            retirement.onReleased();
        } catch (HandoverException | IOException | RuntimeException e) {
            log.warn("a hand-over to a new agent (pid {}) did not complete: {}; this agent serves on", pid,
                    e.getMessage());
        } finally {
            end.close();
        }
    }

    /** Sends every socket under the listener set's lock; returns how many the new agent confirmed. */
    private int lend(HandoverChannel end) throws HandoverException {
        try {
            return listeners.lendDescriptors(descriptors -> {
                try {
                    return send(end, descriptors);
                } catch (HandoverException e) {
                    throw new LendingFailed(e);
                }
            });
        } catch (LendingFailed e) {
            throw e.cause;
        }
    }

    private static int send(HandoverChannel end, List<ListenerDescriptor> descriptors) throws HandoverException {
        StringBuilder lines = new StringBuilder(HandoverProtocol.SOCKETS).append(' ').append(descriptors.size());
        for (ListenerDescriptor d : descriptors) {
            lines.append('\n').append(HandoverProtocol.format(d.key()));
        }
        end.writeLine(lines.toString());
        int sent = 0;
        while (sent < descriptors.size()) {
            String request = end.readLine(deadline());
            int k = parseSend(request);
            List<Integer> batch = new ArrayList<>(k);
            for (int i = sent; i < Math.min(descriptors.size(), sent + k); i++) {
                batch.add(descriptors.get(i).fd());
            }
            end.writeDescriptors(batch);
            sent += batch.size();
        }
        String ack = end.readLine(deadline());
        if (!ack.equals(HandoverProtocol.RECEIVED)) {
            throw new HandoverException("the new agent did not take the sockets: \"" + ack + "\"");
        }
        return sent;
    }

    private static int parseSend(String request) throws HandoverException {
        String prefix = HandoverProtocol.SEND + " ";
        try {
            int k = request.startsWith(prefix) ? Integer.parseInt(request.substring(prefix.length())) : -1;
            if (k >= 1 && k <= HandoverProtocol.BATCH) {
                return k;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new HandoverException("expected \"" + prefix + "1.." + HandoverProtocol.BATCH + "\", got \"" + request
                + "\"");
    }

    private static long deadline() {
        return System.nanoTime() + HandoverProtocol.STEP_TIMEOUT.toNanos();
    }

    /** Stops listening and removes the socket file, unless another agent has replaced it since. */
    private synchronized void stopListening() {
        if (server != null) {
            server.close().awaitUninterruptibly(HandoverProtocol.STEP_TIMEOUT.toMillis());
            server = null;
            try {
                if (fileKey != null && Files.exists(path)
                        && fileKey.equals(Files.readAttributes(path, BasicFileAttributes.class).fileKey())) {
                    Files.delete(path);
                }
            } catch (IOException e) {
                log.debug("cannot remove {}: {}", path, e.toString());
            }
        }
    }

    /** Stops listening; a hand-over under way is cut off (the new agent then binds beside this one). */
    @Override
    public void close() {
        stopListening();
        worker.shutdownNow();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Carries a checked failure out of the lending callback. */
    private static final class LendingFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient HandoverException cause;

        LendingFailed(HandoverException cause) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
        }
    }
}
