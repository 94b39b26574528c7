package io.userspaceproxy.core.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.util.function.Supplier;

/** The transports UDP integration tests run on: each test is written once and parameterized by this enum. */
public enum UdpTestTransport {
    EPOLL(EpollIoHandler::newFactory, EpollDatagramChannel.class),
    IO_URING(io.netty.channel.uring.IoUringIoHandler::newFactory, io.netty.channel.uring.IoUringDatagramChannel.class),
    NIO(NioIoHandler::newFactory, NioDatagramChannel.class);

    private final Supplier<IoHandlerFactory> ioHandlerFactory;
    private final Class<? extends DatagramChannel> datagramChannelClass;

    UdpTestTransport(Supplier<IoHandlerFactory> ioHandlerFactory, Class<? extends DatagramChannel> datagramChannelClass) {
        this.ioHandlerFactory = ioHandlerFactory;
        this.datagramChannelClass = datagramChannelClass;
    }

    /** False for epoll off Linux or without its native library; tests skip with {@code assumeTrue}. */
    public boolean isAvailable() {
        return this != EPOLL || Epoll.isAvailable();
    }

    public EventLoopGroup newEventLoopGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory.get());
    }

    public Class<? extends DatagramChannel> datagramChannelClass() {
        return datagramChannelClass;
    }
}
