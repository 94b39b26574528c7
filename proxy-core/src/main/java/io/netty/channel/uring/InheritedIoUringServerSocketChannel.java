package io.netty.channel.uring;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.NetUtil;
import io.netty.util.internal.ObjectUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * An io_uring listener on a socket that is already bound and listening, received from another process: what
 * {@code EpollServerSocketChannel(int)} is to epoll. Netty 4.2.18's {@link IoUringServerSocketChannel} can only make
 * a socket of its own, and the constructor that takes one is package-private, hence this class in Netty's package.
 * It is {@link IoUringServerSocketChannel} with that one difference: the socket is active from the start, so the
 * channel is never bound, and its first read arms an accept on the queue the other process left. Its config is its
 * own, because Netty's casts the channel to {@link IoUringServerSocketChannel}.
 *
 * <p>Only ever used on the classpath (the agent is one shaded jar), where a package can span jars. It depends on
 * package-private members of the Netty version in the build ({@code LinuxSocket}, {@code SockaddrIn},
 * {@code IoUringChannelConfig}); a Netty upgrade that changes them fails the build here, not at run time.
 */
public final class InheritedIoUringServerSocketChannel extends AbstractIoUringServerChannel
        implements ServerSocketChannel {

    private final Config config;

    /** Takes ownership of {@code fd}, a listening TCP socket; closing the channel closes it. */
    public InheritedIoUringServerSocketChannel(int fd) {
        super(new LinuxSocket(fd), true);
        this.config = new Config(this);
    }

    @Override
    public ServerSocketChannelConfig config() {
        return config;
    }

    @Override
    Channel newChildChannel(int fd, ByteBuffer acceptedAddressMemory) {
        LinuxSocket socket = new LinuxSocket(fd);
        if (acceptedAddressMemory == null) {
            return new IoUringSocketChannel(this, socket);
        }
        IoUringIoHandler handler = registration().attachment();
        InetSocketAddress address = socket.isIpv6()
                ? SockaddrIn.getIPv6(acceptedAddressMemory, handler.inet6AddressArray(), handler.inet4AddressArray())
                : SockaddrIn.getIPv4(acceptedAddressMemory, handler.inet4AddressArray());
        return new IoUringSocketChannel(this, socket, address);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    /**
     * The options of a listener that is already bound. Netty's {@code IoUringServerSocketChannelConfig} casts its
     * channel to {@link IoUringServerSocketChannel} for SO_REUSEPORT and the options after it, so this is the part of
     * it an adopted socket needs: SO_RCVBUF, SO_REUSEADDR and SO_REUSEPORT read and written on the socket (setting
     * them again is harmless: what they change is decided at bind, and the binder set them), and the backlog, kept
     * but not applied, because the binder's {@code listen} set it. Raw and integer Unix options work as on any io_uring
     * channel; others are unknown.
     */
    private static final class Config extends IoUringChannelConfig implements ServerSocketChannelConfig {

        private volatile int backlog = NetUtil.SOMAXCONN;

        Config(InheritedIoUringServerSocketChannel channel) {
            super(channel, new ServerChannelRecvByteBufAllocator());
        }

        private LinuxSocket socket() {
            return ((AbstractIoUringChannel) channel).socket;
        }

        @Override
        public Map<ChannelOption<?>, Object> getOptions() {
            return getOptions(super.getOptions(), ChannelOption.SO_RCVBUF, ChannelOption.SO_REUSEADDR,
                    ChannelOption.SO_BACKLOG, UnixChannelOption.SO_REUSEPORT);
        }

        @SuppressWarnings("unchecked")
        @Override
        public <T> T getOption(ChannelOption<T> option) {
            if (option == ChannelOption.SO_RCVBUF) {
                return (T) Integer.valueOf(getReceiveBufferSize());
            }
            if (option == ChannelOption.SO_REUSEADDR) {
                return (T) Boolean.valueOf(isReuseAddress());
            }
            if (option == ChannelOption.SO_BACKLOG) {
                return (T) Integer.valueOf(getBacklog());
            }
            if (option == UnixChannelOption.SO_REUSEPORT) {
                try {
                    return (T) Boolean.valueOf(socket().isReusePort());
                } catch (IOException e) {
                    throw new ChannelException(e);
                }
            }
            return super.getOption(option);
        }

        @Override
        public <T> boolean setOption(ChannelOption<T> option, T value) {
            validate(option, value);
            if (option == ChannelOption.SO_RCVBUF) {
                setReceiveBufferSize((Integer) value);
            } else if (option == ChannelOption.SO_REUSEADDR) {
                setReuseAddress((Boolean) value);
            } else if (option == ChannelOption.SO_BACKLOG) {
                setBacklog((Integer) value);
            } else if (option == UnixChannelOption.SO_REUSEPORT) {
                try {
                    socket().setReusePort((Boolean) value);
                } catch (IOException e) {
                    throw new ChannelException(e);
                }
            } else {
                return super.setOption(option, value);
            }
            return true;
        }

        @Override
        public int getBacklog() {
            return backlog;
        }

        @Override
        public Config setBacklog(int backlog) {
            this.backlog = ObjectUtil.checkPositiveOrZero(backlog, "backlog");
            return this;
        }

        @Override
        public boolean isReuseAddress() {
            try {
                return socket().isReuseAddress();
            } catch (IOException e) {
                throw new ChannelException(e);
            }
        }

        @Override
        public Config setReuseAddress(boolean reuseAddress) {
            try {
                socket().setReuseAddress(reuseAddress);
                return this;
            } catch (IOException e) {
                throw new ChannelException(e);
            }
        }

        @Override
        public int getReceiveBufferSize() {
            try {
                return socket().getReceiveBufferSize();
            } catch (IOException e) {
                throw new ChannelException(e);
            }
        }

        @Override
        public Config setReceiveBufferSize(int receiveBufferSize) {
            try {
                socket().setReceiveBufferSize(receiveBufferSize);
                return this;
            } catch (IOException e) {
                throw new ChannelException(e);
            }
        }

        @Override
        public Config setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
            return this;
        }

        @Override
        public Config setConnectTimeoutMillis(int connectTimeoutMillis) {
            super.setConnectTimeoutMillis(connectTimeoutMillis);
            return this;
        }

        @Override
        @Deprecated
        public Config setMaxMessagesPerRead(int maxMessagesPerRead) {
            super.setMaxMessagesPerRead(maxMessagesPerRead);
            return this;
        }

        @Override
        public Config setWriteSpinCount(int writeSpinCount) {
            super.setWriteSpinCount(writeSpinCount);
            return this;
        }

        @Override
        public Config setAllocator(ByteBufAllocator allocator) {
            super.setAllocator(allocator);
            return this;
        }

        @Override
        public Config setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
            super.setRecvByteBufAllocator(allocator);
            return this;
        }

        @Override
        public Config setAutoRead(boolean autoRead) {
            super.setAutoRead(autoRead);
            return this;
        }

        @Override
        @Deprecated
        public Config setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
            super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
            return this;
        }

        @Override
        @Deprecated
        public Config setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
            super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
            return this;
        }

        @Override
        public Config setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
            super.setWriteBufferWaterMark(writeBufferWaterMark);
            return this;
        }

        @Override
        public Config setMessageSizeEstimator(MessageSizeEstimator estimator) {
            super.setMessageSizeEstimator(estimator);
            return this;
        }
    }
}
