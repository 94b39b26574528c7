package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * A frontend's reads that arrived before its backend connected, kept in order until it does. There are such reads
 * even with auto-read off: epoll reads on {@code EPOLLRDHUP} whatever the setting. A connection makes one of these
 * only when such a read arrives. Confined to the connection's event loop.
 */
final class HeldReads {

    private final ArrayDeque<Object> reads = new ArrayDeque<>(4);

    void add(Object msg) {
        reads.add(msg);
    }

    /** Writes every held read to {@code backend}, counted as bytes toward it by {@code relay}, then flushes. */
    void writeTo(Channel backend, DuplexRelay relay) {
        Object msg;
        while ((msg = reads.poll()) != null) {
            if (msg instanceof ByteBuf buf) {
                relay.onBytesToBackend(buf.readableBytes());
            }
            backend.write(msg, backend.voidPromise());
        }
        backend.flush();
    }

    /** The connection ended before a backend took them. */
    void release() {
        Object msg;
        while ((msg = reads.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
