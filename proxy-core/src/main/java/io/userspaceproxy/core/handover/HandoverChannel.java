package io.userspaceproxy.core.handover;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One end of a hand-over connection, driven in blocking steps by one thread (the protocol is a short lockstep
 * exchange, clearer as straight-line code than as a state machine on the event loop): the event loop only queues
 * what arrives, lines in {@link DomainSocketReadMode#BYTES} mode and descriptors in
 * {@link DomainSocketReadMode#FILE_DESCRIPTORS} mode. A side switches its read mode only while its peer waits for
 * it to speak, so no byte is read in the wrong mode. Descriptors that arrive after {@link #close()} are closed.
 */
final class HandoverChannel {

    /** Longer than any line of the protocol; a longer one is a peer speaking something else. */
    private static final int MAX_LINE = 512;
    private static final Object END = new Object();

    private final EpollDomainSocketChannel channel;
    private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    private HandoverChannel(EpollDomainSocketChannel channel) {
        this.channel = channel;
    }

    /** Adds the decoding handlers to {@code channel}'s pipeline; call from its initializer. */
    static HandoverChannel attach(EpollDomainSocketChannel channel) {
        HandoverChannel end = new HandoverChannel(channel);
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(new LineBasedFrameDecoder(MAX_LINE));
        pipeline.addLast(end.new Inbox());
        return end;
    }

    EpollDomainSocketChannel channel() {
        return channel;
    }

    void writeLine(String line) throws HandoverException {
        ByteBuf buf = Unpooled.copiedBuffer(line + "\n", StandardCharsets.US_ASCII);
        await(channel.writeAndFlush(buf), "writing \"" + line + "\"");
    }

    /** Sends descriptors and waits until the kernel holds them all (each one is then the peer's, too). */
    void writeDescriptors(Iterable<Integer> fds) throws HandoverException {
        ChannelFuture last = null;
        for (int fd : fds) {
            last = channel.write(new FileDescriptor(fd));
        }
        channel.flush();
        if (last != null) {
            await(last, "sending descriptors");
        }
    }

    /**
     * The next line, or a {@link HandoverException} when the peer closed, spoke out of turn, or the deadline passed.
     */
    String readLine(long deadlineNanos) throws HandoverException {
        Object next = take(deadlineNanos);
        if (next instanceof String line) {
            return line;
        }
        if (next instanceof FileDescriptor fd) {
            closeQuietly(fd);
        }
        throw new HandoverException("expected a line, got a file descriptor");
    }

    /** The next descriptor received; the caller owns it. */
    int readDescriptor(long deadlineNanos) throws HandoverException {
        Object next = take(deadlineNanos);
        if (next instanceof FileDescriptor fd) {
            return fd.intValue();
        }
        throw new HandoverException("expected a file descriptor, got \"" + next + "\"");
    }

    void readMode(DomainSocketReadMode mode) {
        channel.config().setReadMode(mode);
    }

    /** Closes the connection and every descriptor received but not taken. Idempotent. */
    void close() {
        closed = true;
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        for (Object o; (o = inbox.poll()) != null; ) {
            if (o instanceof FileDescriptor fd) {
                closeQuietly(fd);
            }
        }
    }

    private Object take(long deadlineNanos) throws HandoverException {
        Object next;
        try {
            next = inbox.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HandoverException("interrupted");
        }
        if (next == null) {
            throw new HandoverException("timed out waiting for the other agent");
        }
        if (next == END) {
            inbox.add(END);
            throw new HandoverException("the other agent closed the connection");
        }
        return next;
    }

    private static void await(ChannelFuture f, String what) throws HandoverException {
        if (!f.awaitUninterruptibly(HandoverProtocol.STEP_TIMEOUT.toMillis())) {
            throw new HandoverException(what + " timed out");
        }
        if (!f.isSuccess()) {
            throw new HandoverException(what + " failed: " + f.cause());
        }
    }

    static void closeQuietly(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException ignored) {
            // already closed: nothing is held
        }
    }

    /** Queues lines and descriptors for the driving thread, on the event loop. */
    private final class Inbox extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                try {
                    inbox.add(buf.toString(StandardCharsets.US_ASCII));
                } finally {
                    buf.release();
                }
            } else if (msg instanceof FileDescriptor fd) {
                if (closed) {
                    closeQuietly(fd);
                } else {
                    inbox.add(fd);
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inbox.add(END);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
