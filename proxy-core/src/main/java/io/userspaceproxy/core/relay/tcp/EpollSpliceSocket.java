package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.userspaceproxy.core.metrics.CloseReason;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * A spliced socket on epoll: an {@link EpollIoHandle} of its own, edge-triggered with a fixed interest set
 * ({@code EPOLLIN | EPOLLOUT | EPOLLRDHUP}), so the relay makes no {@code epoll_ctl} call after its first. Epoll's
 * channels read and write synchronously, so once the channel is out of the epoll set Netty has nothing in flight:
 * the relay catches up at once.
 */
final class EpollSpliceSocket extends SpliceSocket implements EpollIoHandle {

    private static final EpollIoOps INTEREST = EpollIoOps.valueOf(
            Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET);

    private @Nullable IoRegistration registration;

    EpollSpliceSocket(SpliceRelay relay, Channel channel, CloseReason failure) {
        super(relay, channel, failure);
    }

    @Override
    void watch(IoEventLoop loop) throws IOException {
        IoRegistration registered = register(loop, this);
        registration = registered;
        registered.submit(INTEREST);
        relay.onCaughtUp();
    }

    /** Leaves the epoll set; the channel, out of it too, closes its descriptor directly. */
    @Override
    void unwatch() {
        if (registration != null) {
            registration.cancel();
            registration = null;
        }
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        relay.onEvents(this, ((EpollIoEvent) event).ops().value());
    }
}
