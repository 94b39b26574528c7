package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link EmbeddedChannel} that half-closes like a TCP socket, can hold its writes back as if its peer had stopped
 * reading, has an IP peer address, and remembers where it was asked to connect. Created unregistered: add handlers,
 * then {@link #register()}.
 */
final class DuplexEmbeddedChannel extends EmbeddedChannel implements DuplexChannel {

    private final InetSocketAddress remote;
    private final List<SocketAddress> connectedTo = new ArrayList<>();
    private boolean inputShutdown;
    private boolean outputShutdown;
    private boolean writesHeld;
    private boolean connectHeld;
    /** Made on first use, which may come from the superclass's constructor. */
    private HalfClosureConfig config;
    private ChannelPromise heldConnect;

    DuplexEmbeddedChannel(InetSocketAddress remote) {
        super(false, false);
        this.remote = remote;
    }

    /** A config that also keeps {@link ChannelOption#ALLOW_HALF_CLOSURE}, as a socket channel's does. */
    @Override
    public ChannelConfig config() {
        if (config == null) {
            config = new HalfClosureConfig(this);
        }
        return config;
    }

    /** From now on flushed bytes stay queued in the channel, as when the peer's receive window is closed. */
    void holdWrites() {
        writesHeld = true;
    }

    /** The peer reads again: everything queued is written, in order. */
    void releaseWrites() {
        writesHeld = false;
        flush();
    }

    /** The next connect stays in progress until {@link #completeConnect()}, like a SYN still waiting for its answer. */
    void holdConnect() {
        connectHeld = true;
    }

    void completeConnect() {
        heldConnect.setSuccess();
    }

    List<SocketAddress> connectedTo() {
        return connectedTo;
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (!writesHeld) {
            super.doWrite(in);
        }
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    public ChannelFuture connect(SocketAddress remoteAddress) {
        connectedTo.add(remoteAddress);
        if (connectHeld) {
            heldConnect = newPromise();
            return heldConnect;
        }
        return super.connect(remoteAddress);
    }

    @Override
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        inputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown;
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        outputShutdown = true;
        return promise.setSuccess();
    }

    @Override
    public boolean isShutdown() {
        return inputShutdown && outputShutdown;
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        inputShutdown = true;
        outputShutdown = true;
        return promise.setSuccess();
    }

    private static final class HalfClosureConfig extends DefaultChannelConfig {

        private boolean allowHalfClosure;

        HalfClosureConfig(DuplexEmbeddedChannel channel) {
            super(channel);
        }

        @Override
        public <T> boolean setOption(ChannelOption<T> option, T value) {
            if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
                allowHalfClosure = (Boolean) value;
                return true;
            }
            return super.setOption(option, value);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T getOption(ChannelOption<T> option) {
            if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
                return (T) Boolean.valueOf(allowHalfClosure);
            }
            return super.getOption(option);
        }
    }
}
