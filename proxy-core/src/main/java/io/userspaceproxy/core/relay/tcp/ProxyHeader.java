package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.userspaceproxy.core.model.ProxyProtocolOptions;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/**
 * The PROXY protocol header one connection sends to its backend: the client it was accepted from (or the one an
 * incoming header named) and the Service address and port the client dialled. Written by
 * {@link #writeTo(Channel)} on every backend connection that succeeds, before any relayed byte, so a retry on
 * another endpoint sends it again; Netty's {@link HAProxyMessageEncoder} does the encoding. A client and an address of
 * different families (which a dual-stack listener cannot produce, but a header from a load balancer might) are sent
 * as {@code UNKNOWN}, which the protocol provides for exactly that.
 */
final class ProxyHeader {

    private final HAProxyProtocolVersion version;
    private final InetSocketAddress client;
    private final InetSocketAddress dialled;

    private ProxyHeader(HAProxyProtocolVersion version, InetSocketAddress client, InetSocketAddress dialled) {
        this.version = version;
        this.client = client;
        this.dialled = dialled;
    }

    /** The header {@code version} asks for, or {@code null} when it asks for none. */
    static @Nullable ProxyHeader of(ProxyProtocolOptions.Version version, InetSocketAddress client,
            InetSocketAddress dialled) {
        return switch (version) {
            case NONE -> null;
            case V1 -> new ProxyHeader(HAProxyProtocolVersion.V1, client, dialled);
            case V2 -> new ProxyHeader(HAProxyProtocolVersion.V2, client, dialled);
        };
    }

    /** Sends the encoded header on {@code backend}, ahead of everything written after it. */
    void writeTo(Channel backend) {
        ChannelPipeline pipeline = backend.pipeline();
        pipeline.addFirst(HAProxyMessageEncoder.INSTANCE);
        try {
            backend.writeAndFlush(message(), backend.voidPromise());
        } finally {
            pipeline.remove(HAProxyMessageEncoder.INSTANCE);
        }
    }

    HAProxyMessage message() {
        boolean v4 = client.getAddress() instanceof Inet4Address;
        if (v4 != dialled.getAddress() instanceof Inet4Address) {
            return new HAProxyMessage(version, HAProxyCommand.PROXY, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0);
        }
        return new HAProxyMessage(version, HAProxyCommand.PROXY,
                v4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6,
                NetUtil.toAddressString(client.getAddress()), NetUtil.toAddressString(dialled.getAddress()),
                client.getPort(), dialled.getPort());
    }
}
