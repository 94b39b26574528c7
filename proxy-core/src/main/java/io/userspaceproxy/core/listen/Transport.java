package io.userspaceproxy.core.listen;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.InheritedIoUringServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.userspaceproxy.core.relay.tcp.BackendChannelFactory;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The I/O transport every channel of the data plane uses: io_uring where the kernel allows it, epoll where it does
 * not, JDK NIO off Linux. A listener, the backend connections it makes and its UDP flows must all come from one
 * transport, because a channel can only be registered on an event loop of its own kind; UDP's is
 * {@link #datagramTransport()}, which differs under io_uring. {@link #best()} picks; naming a constant forces one
 * (tests run each scenario on each available transport).
 */
public enum Transport {

    /**
     * Native epoll (level-triggered since Netty 4.2): SO_REUSEPORT, splice, socket hand-over. Linux only; the default
     * where io_uring does not load, and UDP's transport under io_uring.
     */
    EPOLL {
        @Override
        public boolean isAvailable() {
            return Epoll.isAvailable();
        }

        @Override
        public Throwable unavailabilityCause() {
            return Epoll.unavailabilityCause();
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        public ChannelFactory<? extends ServerSocketChannel> serverChannelFactory() {
            return EpollServerSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends SocketChannel> socketChannelFactory() {
            return EpollSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends DatagramChannel> datagramChannelFactory() {
            return EpollDatagramChannel::new;
        }

        @Override
        public BackendChannelFactory backendChannelFactory() {
            return BackendChannelFactory.byFamily(EpollSocketChannel::new,
                    () -> new EpollSocketChannel(SocketProtocolFamily.INET));
        }

        @Override
        public boolean supportsReusePort() {
            return true;
        }

        @Override
        public boolean supportsHandover() {
            return true;
        }

        @Override
        public ServerSocketChannel adoptServerChannel(int fd) {
            return new EpollServerSocketChannel(fd);
        }

        @Override
        public DatagramChannel adoptDatagramChannel(int fd) {
            return new EpollDatagramChannel(fd);
        }
    },

    /**
     * io_uring, the default where it loads ({@link #best()}): operations are queued on a submission ring and their
     * results read from a completion ring, so one system call per loop turn serves many sockets. Per new connection
     * it costs a tenth to a third less CPU than epoll (BENCHMARKS.md). Bulk flows are spliced and listeners handed
     * over at upgrades as on epoll; a received listener is wrapped by {@link InheritedIoUringServerSocketChannel},
     * because Netty's own io_uring listener cannot take a descriptor. UDP runs on epoll beside it
     * ({@link #datagramTransport()}). Container runtimes' default seccomp profiles block it. Linux 5.10+ only.
     */
    IO_URING {
        @Override
        public boolean isAvailable() {
            return IoUring.isAvailable();
        }

        @Override
        public @Nullable Throwable unavailabilityCause() {
            return IoUring.unavailabilityCause();
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return IoUringIoHandler.newFactory();
        }

        @Override
        public ChannelFactory<? extends ServerSocketChannel> serverChannelFactory() {
            return IoUringServerSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends SocketChannel> socketChannelFactory() {
            return IoUringSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends DatagramChannel> datagramChannelFactory() {
            return IoUringDatagramChannel::new;
        }

        @Override
        public boolean supportsReusePort() {
            return true;
        }

        /** The hand-over's own Unix socket (see {@code core.handover}) runs on an epoll loop. */
        @Override
        public boolean supportsHandover() {
            return Epoll.isAvailable();
        }

        @Override
        public ServerSocketChannel adoptServerChannel(int fd) {
            return new InheritedIoUringServerSocketChannel(fd);
        }

        @Override
        public DatagramChannel adoptDatagramChannel(int fd) {
            return new IoUringDatagramChannel(fd);
        }
    },

    /** JDK NIO selectors: works everywhere. */
    NIO {
        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public @Nullable Throwable unavailabilityCause() {
            return null;
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        public ChannelFactory<? extends ServerSocketChannel> serverChannelFactory() {
            return NioServerSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends SocketChannel> socketChannelFactory() {
            return NioSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends DatagramChannel> datagramChannelFactory() {
            return NioDatagramChannel::new;
        }

        @Override
        public boolean supportsReusePort() {
            return false;
        }
    };

    /**
     * What {@code auto} picks: io_uring where it serves as well as epoll does, epoll where it does not, NIO where
     * epoll does not load. io_uring costs less CPU than epoll per new connection (a tenth to a third) and per
     * kept-alive request (a fifth or more), and splices bulk flows and hands listeners over as epoll does
     * (BENCHMARKS.md, "auto prefers io_uring"), given three things: a ring can be set up (a seccomp profile or
     * {@code kernel.io_uring_disabled} may refuse it), the kernel has multishot polls (Linux 5.13+; the splice relay
     * watches its sockets with one), and epoll loads too (UDP and the hand-over's own socket run on it).
     * {@link #whyNotIoUring()} says which is missing.
     */
    public static Transport best() {
        return best(whyNotIoUring() == null, EPOLL.isAvailable());
    }

    /** {@link #best()} given whether io_uring would serve and whether epoll loads. */
    static Transport best(boolean ioUringServes, boolean epollLoads) {
        if (!epollLoads) {
            return NIO;
        }
        return ioUringServes ? IO_URING : EPOLL;
    }

    /** Why {@link #best()} passes io_uring over on this machine, for the start log; {@code null} when it does not. */
    public static @Nullable String whyNotIoUring() {
        if (!IO_URING.isAvailable()) {
            return String.valueOf(IO_URING.unavailabilityCause());
        }
        if (!IoUring.isPollAddMultishotEnabled()) {
            return "the kernel has no multishot poll (Linux 5.13+), with which spliced sockets are watched";
        }
        if (!EPOLL.isAvailable()) {
            return "epoll, which UDP runs on beside it, does not load: " + EPOLL.unavailabilityCause();
        }
        return null;
    }

    /**
     * A transport by its name as an operator writes it ({@code epoll}, {@code io_uring}, {@code nio}, any case), or
     * {@code auto} for {@link #best()}.
     */
    public static Transport parse(String name) {
        if (name.equalsIgnoreCase("auto")) {
            return best();
        }
        for (Transport transport : values()) {
            if (transport.name().equalsIgnoreCase(name)) {
                return transport;
            }
        }
        throw new IllegalArgumentException("\"" + name + "\" (expected: auto, epoll, io_uring or nio)");
    }

    /** The name as {@code --transport} spells it ({@code epoll}, {@code io_uring}, {@code nio}), for logs. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public abstract boolean isAvailable();

    /** Why this transport cannot be used here, or {@code null} when it can. */
    public abstract @Nullable Throwable unavailabilityCause();

    public abstract IoHandlerFactory ioHandlerFactory();

    public abstract ChannelFactory<? extends ServerSocketChannel> serverChannelFactory();

    public abstract ChannelFactory<? extends SocketChannel> socketChannelFactory();

    public abstract ChannelFactory<? extends DatagramChannel> datagramChannelFactory();

    /**
     * Backend (connect) channels: on epoll an IPv4 endpoint gets an AF_INET socket rather than a dual-stack
     * AF_INET6 one, one setsockopt less per connection; elsewhere {@link #socketChannelFactory()}'s.
     */
    public BackendChannelFactory backendChannelFactory() {
        ChannelFactory<? extends SocketChannel> channels = socketChannelFactory();
        return channels::newChannel;
    }

    /** Whether listeners can set SO_REUSEPORT, so that a new agent can bind beside the old one during an upgrade. */
    public abstract boolean supportsReusePort();

    /**
     * The transport of UDP listeners and their flows' backend sockets under this one: itself, except io_uring's,
     * which are epoll's where epoll loads. Netty's io_uring datagram channel keeps 256 receive and 256 send message
     * headers of native memory, each socket, and a receive with its 64 KiB buffer in the ring while idle: 200 UDP
     * Services on two loops took 71 MiB of direct memory on JDK 25 and 147 MB on JDK 17, against 1 MiB on epoll
     * (BENCHMARKS.md), and a flow's backend socket is one too. Epoll's holds no buffer while idle and batches its
     * reads and writes ({@code recvmmsg}, {@code UDP_GRO}, {@code sendmmsg}), which Netty's io_uring datagram
     * channel does not.
     */
    public Transport datagramTransport() {
        return this == IO_URING && EPOLL.isAvailable() ? EPOLL : this;
    }

    /**
     * Whether this transport's listeners can be handed over at an upgrade: their descriptors passed to the next
     * agent, and descriptors received from the previous one wrapped by {@link #adoptServerChannel} and
     * {@link #adoptDatagramChannel}. A kernel socket belongs to no transport, so agents of two transports that both
     * support it can hand over to each other.
     */
    public boolean supportsHandover() {
        return false;
    }

    /** A channel of this transport on {@code fd}, a TCP socket bound and listening, received from another process. */
    public ServerSocketChannel adoptServerChannel(int fd) {
        throw new UnsupportedOperationException(this + " channels cannot wrap a received socket");
    }

    /** A channel of this transport on {@code fd}, a bound UDP socket, received from another process. */
    public DatagramChannel adoptDatagramChannel(int fd) {
        throw new UnsupportedOperationException(this + " channels cannot wrap a received socket");
    }

    /**
     * This transport, or an {@link IllegalStateException} naming why it cannot be used (for example epoll off Linux).
     */
    public Transport requireAvailable() {
        if (!isAvailable()) {
            throw new IllegalStateException("transport " + this + " is not available: " + unavailabilityCause(),
                    unavailabilityCause());
        }
        return this;
    }

    /**
     * An event loop group of {@code threads} loops of this transport, its threads named {@code proxy-<transport>-*}.
     * Its loops close every channel and handle still registered whenever their shutdown begins (see
     * {@link ClosingEventLoopGroup}).
     */
    public EventLoopGroup newEventLoopGroup(int threads) {
        requireAvailable();
        return new ClosingEventLoopGroup(threads,
                new DefaultThreadFactory("proxy-" + this), ioHandlerFactory());
    }

    /**
     * Sets what every listening socket needs: SO_REUSEADDR (rebinding while old connections linger in TIME_WAIT)
     * and, where supported, SO_REUSEPORT (a second agent may bind beside this one during an upgrade).
     */
    public void applyListenerOptions(AbstractBootstrap<?, ?> bootstrap) {
        bootstrap.option(ChannelOption.SO_REUSEADDR, Boolean.TRUE);
        if (supportsReusePort()) {
            bootstrap.option(UnixChannelOption.SO_REUSEPORT, Boolean.TRUE);
        }
    }
}
