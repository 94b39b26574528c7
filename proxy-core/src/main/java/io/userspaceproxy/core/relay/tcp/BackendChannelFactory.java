package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Makes the channel of one connect attempt, knowing where it will connect. A plain {@link ChannelFactory} makes
 * every backend socket alike; {@link #byFamily} makes an IPv4 endpoint's socket an AF_INET one, which on epoll
 * saves the IPV6_V6ONLY setsockopt a dual-stack AF_INET6 socket costs per connection.
 */
public interface BackendChannelFactory extends ChannelFactory<Channel> {

    /** A channel to connect to {@code endpoint}; by default the same as {@link #newChannel()}. */
    default Channel newChannel(InetSocketAddress endpoint) {
        return newChannel();
    }

    /**
     * Channels from {@code ipv4} for IPv4 endpoints and from {@code dualStack} for every other (and for
     * {@link #newChannel()}).
     */
    static BackendChannelFactory byFamily(ChannelFactory<? extends Channel> dualStack,
            ChannelFactory<? extends Channel> ipv4) {
        Objects.requireNonNull(dualStack, "dualStack");
        Objects.requireNonNull(ipv4, "ipv4");
        return new BackendChannelFactory() {
            @Override
            public Channel newChannel() {
                return dualStack.newChannel();
            }

            @Override
            public Channel newChannel(InetSocketAddress endpoint) {
                return endpoint.getAddress() instanceof Inet4Address ? ipv4.newChannel() : dualStack.newChannel();
            }
        };
    }
}
