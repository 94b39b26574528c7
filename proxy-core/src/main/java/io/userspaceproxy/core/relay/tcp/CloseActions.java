package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.userspaceproxy.core.metrics.CloseReason;
import org.jspecify.annotations.Nullable;

/**
 * What each {@link CloseReason} does to a connection's two sockets. A refusal resets the client (an RST, through
 * {@code SO_LINGER} 0), so it fails at once instead of waiting for bytes that will never come; a backend failure
 * still flushes to the client what the backend sent before it failed; every other reason closes both sides now.
 */
final class CloseActions {

    private CloseActions() {
    }

    /**
     * @param backend   the connected backend; null when none is
     * @param connected whether the connection ever started connecting; a held one never did
     */
    static void closeChannels(CloseReason reason, Channel frontend, @Nullable Channel backend, boolean connected) {
        switch (reason) {
            case NO_ENDPOINTS, SOURCE_RANGE_REJECTED, MEMORY_REJECTED, CONNECT_FAILED, HOLD_TIMEOUT -> reset(frontend);
            case SHUTDOWN -> {
                if (connected) {
                    frontend.close();
                    closeIfAny(backend);
                } else { // held, never connected anywhere: refused, as at a hold timeout
                    reset(frontend);
                }
            }
            case ENDPOINT_REMOVED -> {
                reset(frontend);
                closeIfAny(backend);
            }
            case BACKEND_ERROR -> {
                closeIfAny(backend);
                frontend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            default -> {
                frontend.close();
                closeIfAny(backend);
            }
        }
    }

    private static void closeIfAny(@Nullable Channel backend) {
        if (backend != null) {
            backend.close();
        }
    }

    private static void reset(Channel channel) {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
        channel.close();
    }
}
