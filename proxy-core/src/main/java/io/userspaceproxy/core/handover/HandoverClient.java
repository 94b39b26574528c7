package io.userspaceproxy.core.handover;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.userspaceproxy.core.listen.ListenerDescriptor;
import io.userspaceproxy.core.model.ListenerKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The new agent's side of an upgrade: connects to the running agent's hand-over socket before binding anything and
 * receives every listening socket it has, each checked against the key announced for it (see
 * {@link HandoverProtocol}). Either every socket arrives, or none is kept: on any failure the descriptors received
 * so far are closed (the old agent still holds them and serves on) and the caller binds as it would without a
 * predecessor.
 */
public final class HandoverClient {

    private HandoverClient() {
    }

    /**
     * Receives the sockets of the agent listening at {@code path}, within {@code timeout}.
     *
     * @return empty when no socket file exists there (no agent to take over from: a first start)
     * @throws HandoverException when an agent may be there but the hand-over did not complete: the file is stale,
     *                           the peer runs as another user, refused, timed out, or sent what it did not announce
     */
    public static Optional<Handover> receive(Path path, Duration timeout) throws HandoverException {
        Objects.requireNonNull(path, "path");
        if (!Files.exists(path)) {
            return Optional.empty();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("handover-io", true),
                EpollIoHandler.newFactory());
        HandoverChannel end = null;
        List<ListenerDescriptor> received = new ArrayList<>();
        try {
            end = connect(group, path, deadline);
            long pid = checkPeer(end);
            end.writeLine(HandoverProtocol.HELLO + " " + HandoverProtocol.VERSION);
            List<ListenerKey> keys = readKeys(end, deadline);
            end.readMode(DomainSocketReadMode.FILE_DESCRIPTORS);
            while (received.size() < keys.size()) {
                int k = Math.min(HandoverProtocol.BATCH, keys.size() - received.size());
                end.writeLine(HandoverProtocol.SEND + " " + k);
                for (int i = 0; i < k; i++) {
                    ListenerKey key = keys.get(received.size());
                    received.add(new ListenerDescriptor(key, end.readDescriptor(deadline)));
                    HandoverProtocol.verify(key, received.get(received.size() - 1).fd());
                }
            }
            end.readMode(DomainSocketReadMode.BYTES);
            end.writeLine(HandoverProtocol.RECEIVED);
            return Optional.of(new Handover(group, end, received, pid));
        } catch (HandoverException | RuntimeException e) {
            received.forEach(d -> HandoverChannel.closeQuietly(new FileDescriptor(d.fd())));
            if (end != null) {
                end.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (e instanceof HandoverException h) {
                throw h;
            }
            throw new HandoverException(e.toString());
        }
    }

    private static HandoverChannel connect(EventLoopGroup group, Path path, long deadline) throws HandoverException {
        AtomicReference<HandoverChannel> end = new AtomicReference<>();
        ChannelFuture connected = new Bootstrap()
                .group(group)
                .channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                        end.set(HandoverChannel.attach(ch));
                    }
                })
                .connect(new DomainSocketAddress(path.toString()));
        if (!connected.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            connected.channel().close();
            throw new HandoverException("connecting to " + path + " timed out");
        }
        if (!connected.isSuccess()) {
            throw new HandoverException("cannot connect to " + path + " (a stale socket of an agent that is gone?): "
                    + connected.cause().getMessage());
        }
        return Objects.requireNonNull(end.get(), "the channel is initialized before its connect completes");
    }

    /** The agent at the other end must run as this one's user; returns its pid. */
    private static long checkPeer(HandoverChannel end) throws HandoverException {
        try {
            PeerCredentials peer = end.channel().peerCredentials();
            int uid = HandoverProtocol.ownUid();
            if (peer.uid() != uid) {
                throw new HandoverException("the agent at the other end (pid " + peer.pid() + ") runs as uid "
                        + peer.uid() + ", this one as " + uid);
            }
            return peer.pid();
        } catch (IOException e) {
            throw new HandoverException("cannot read the peer's credentials: " + e.getMessage());
        }
    }

    private static List<ListenerKey> readKeys(HandoverChannel end, long deadline) throws HandoverException {
        String header = end.readLine(deadline);
        String prefix = HandoverProtocol.SOCKETS + " ";
        if (!header.startsWith(prefix)) {
            throw new HandoverException("the running agent answered \"" + header + "\"");
        }
        int n;
        try {
            n = Integer.parseInt(header.substring(prefix.length()));
        } catch (NumberFormatException e) {
            throw new HandoverException("bad header \"" + header + "\"");
        }
        if (n < 0) {
            throw new HandoverException("bad header \"" + header + "\"");
        }
        List<ListenerKey> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(HandoverProtocol.parse(end.readLine(deadline)));
        }
        return keys;
    }
}
