package io.userspaceproxy.core.relay.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One direction of a {@link SpliceRelay}: source socket, pipe, sink socket. {@link #pump} alternates between draining
 * the pipe into the sink and refilling it from the source, never reading while the pipe holds bytes, so at most one
 * pipe's worth sits in the proxy per direction: see the relay's class comment for the rules. Confined to the
 * connection's event loop.
 */
final class SpliceDirection {

    private static final Logger log = LoggerFactory.getLogger(SpliceDirection.class);
    /** Ask for as much as the largest pipe holds: one call fills it, grown or not. */
    private static final int REFILL_BYTES = SplicePipes.GROWN_CAPACITY;

    private final SpliceRelay relay;

    final SpliceSocket source;
    final SpliceSocket sink;
    final SplicePipes.Pipe pipe;
    final boolean towardBackend;
    /** Bytes spliced into the pipe and not yet out of it: exact, so a pipe is reused only when truly empty. */
    int inPipe;
    /** Bytes Netty read or queued before it let go; sent before anything spliced. */
    @Nullable ArrayDeque<ByteBuf> carried;
    boolean sourceReadable = true;
    boolean sourceEof;
    boolean sinkBlocked;
    boolean done;

    SpliceDirection(SpliceRelay relay, SpliceSocket source, SpliceSocket sink, SplicePipes.Pipe pipe,
            boolean towardBackend) {
        this.relay = relay;
        this.source = source;
        this.sink = sink;
        this.pipe = pipe;
        this.towardBackend = towardBackend;
    }

    void carry(ByteBuf buf) {
        if (carried == null) {
            carried = new ArrayDeque<>(4);
        }
        carried.add(buf);
    }

    /** Moves what Netty still queues for {@code channel} to the front of this direction's carried bytes. */
    void takeOutbound(Channel channel) {
        ChannelOutboundBuffer outbound = channel.unsafe().outboundBuffer();
        if (outbound == null) {
            return;
        }
        outbound.addFlush();
        if (outbound.isEmpty()) {
            return;
        }
        ArrayDeque<ByteBuf> ordered = new ArrayDeque<>(outbound.size() + (carried == null ? 0 : carried.size()));
        Object msg;
        while ((msg = outbound.current()) != null) {
            if (msg instanceof ByteBuf buf && buf.isReadable()) {
                ordered.add(buf.retain());
            }
            outbound.remove();
        }
        if (carried != null) {
            ordered.addAll(carried);
        }
        carried = ordered;
    }

    /** Moves bytes until the sink is full, the source is empty, or this direction has ended. */
    void pump() {
        if (done || !relay.isTakenOver()) {
            return;
        }
        SpliceSocket failed = sink;
        try {
            for (;;) {
                if (sinkBlocked || !drainToSink()) {
                    return;
                }
                if (sourceEof) {
                    finish();
                    return;
                }
                if (!sourceReadable) {
                    return;
                }
                failed = source;
                int n = Native.splice(source.fd.intValue(), -1, pipe.writeEnd().intValue(), -1, REFILL_BYTES);
                failed = sink;
                if (n > 0) {
                    inPipe = n;
                    onBytes(n);
                } else if (source.peerDone) {
                    sourceEof = true;
                } else {
                    sourceReadable = false;
                }
            }
        } catch (IOException e) {
            relay.fail(failed, e);
        }
    }

    /** Sends carried bytes, then the pipe; false when the sink took less than all (wait for EPOLLOUT). */
    private boolean drainToSink() throws IOException {
        if (carried != null && !writeCarried(carried)) {
            sinkBlocked = true;
            return false;
        }
        while (inPipe > 0) {
            int n = Native.splice(pipe.readEnd().intValue(), -1, sink.fd.intValue(), -1, inPipe);
            if (n == 0) {
                sinkBlocked = true;
                return false;
            }
            inPipe -= n;
        }
        return true;
    }

    private boolean writeCarried(ArrayDeque<ByteBuf> queue) throws IOException {
        ByteBuf buf;
        while ((buf = queue.peek()) != null) {
            // Netty's read and outbound buffers on epoll and io_uring are direct, which the native write requires.
            ByteBuffer bytes = buf.internalNioBuffer(buf.readerIndex(), buf.readableBytes());
            int n = sink.fd.write(bytes, bytes.position(), bytes.limit());
            if (n == 0) {
                return false;
            }
            buf.skipBytes(n);
            if (!buf.isReadable()) {
                queue.poll();
                buf.release();
            }
        }
        carried = null;
        return true;
    }

    private void onBytes(int n) {
        TcpConnection connection = relay.connection();
        if (towardBackend) {
            connection.relay().onBytesToBackend(n);
        } else {
            connection.relay().onBytesToFrontend(n);
        }
        connection.onReadComplete();
    }

    /** The source ended and everything before its FIN is out: pass the FIN on. */
    private void finish() {
        done = true;
        try {
            // The socket itself, not the channel: the channel would first read SO_LINGER back (a getsockopt).
            ((io.netty.channel.unix.Socket) sink.fd).shutdown(false, true);
        } catch (IOException e) {
            relay.fail(sink, e);
            return;
        }
        relay.onDirectionDone();
    }

    /** One attempt to move what the pipe holds, for a connection about to close. */
    void flushWithoutWaiting() {
        try {
            drainToSink();
        } catch (IOException e) {
            log.debug("{} final flush failed: {}", sink.channel, e.toString());
        }
    }

    void release() {
        if (carried != null) {
            ByteBuf buf;
            while ((buf = carried.poll()) != null) {
                buf.release();
            }
            carried = null;
        }
        SplicePipes.release(pipe, inPipe == 0);
    }
}
