package io.userspaceproxy.core.relay.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datagrams one flow relays one way during one read loop, sent in runs, one message per run: UDP generic
 * segmentation offload ({@code UDP_SEGMENT}, Linux 4.18+). The kernel takes a run in one {@code sendmmsg} entry,
 * routes it, passes it through netfilter and the veth once, and cuts it into the original datagrams only where it
 * must: at a device that cannot carry it whole, or at the receiving socket. The receiver sees each datagram
 * exactly as the client sent it, boundaries and order kept; what shrinks is the kernel's work per datagram on both
 * sides of the relay. Under the one-flow UDP load of 64-byte datagrams, {@code sendmmsg} was half the event loop's
 * time, and 41 % of that was the pod side's receive path run once per datagram (BENCHMARKS.md).
 *
 * <p>A run is datagrams of one size, optionally ended by one shorter datagram: the only shape GSO can cut back
 * exactly. It holds at most {@link #MAX_SEGMENTS} datagrams and {@link #MAX_RUN_BYTES} bytes, and only datagrams of at
 * most {@link #MAX_SEGMENT_BYTES}, so each fits in one packet on any path (the kernel refuses a segment larger than the
 * path's MTU). A datagram that does not fit the run sends the run, then starts the next one; a single datagram goes
 * out as it always did. The run's datagrams are copied into one buffer as they join (small, next to the system calls
 * they save), so the batch read buffer they came from is released at once.
 *
 * <p>Where the kernel still refuses a run ({@code EIO}: a device without checksum offload, or IPsec on the route;
 * {@code EINVAL} or {@code EMSGSIZE}: a smaller MTU than assumed), the run is sent again datagram by datagram and this
 * flow's direction stops making runs: nothing is lost. Nor is anything reordered: a refused run's datagrams go to the
 * end of the channel's queue, so a run whose segment size has not yet been sent on this flow's direction is flushed
 * at once, before anything after it is written, and the kernel answers while nothing of this flow stands behind it.
 * (A socket whose send buffer is full at that moment leaves the run queued; a refusal after that could still put it
 * behind datagrams read later.)
 *
 * <p>Confined to the flow's event loop. Used only on epoll with {@code UDP_SEGMENT} ({@link #supported}); NIO and
 * io_uring send datagram by datagram.
 */
final class UdpTrain {

    private static final Logger LOG = LoggerFactory.getLogger(UdpTrain.class);

    /** Segments per GSO message: {@code UDP_MAX_SEGMENTS} of every kernel with GSO (newer ones may allow more). */
    static final int MAX_SEGMENTS = 64;
    /** The largest datagram a run takes: one packet on the smallest MTU IPv6 allows (1,280 − 40 − 8 bytes). */
    static final int MAX_SEGMENT_BYTES = 1_232;
    /** A run's bytes: one IPv4 packet's payload before it is cut (65,535 − 20 − 8). */
    static final int MAX_RUN_BYTES = 65_507;

    // Linux's numbers on x86-64 and arm64, the agent's platforms (EMSGSIZE differs on MIPS and SPARC).
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int EMSGSIZE = 90;

    /** What a failed send means to the flow, once per failed message, with the datagrams that message carried. */
    interface Failure {
        void onFailure(Throwable cause, int datagrams);
    }

    private final Channel channel;
    private final @Nullable InetSocketAddress recipient;
    private final Failure failure;
    private final ByteBufAllocator alloc;
    private final UdpFlowTable table;
    private boolean segmenting = true;
    /** The largest segment size a run of this flow's direction has been sent with; larger ones are flushed at once. */
    private int provenSegmentSize;
    /** The run: its first datagram as read while it is alone, then a buffer its datagrams are copied into. */
    private @Nullable ByteBuf run;
    private int segmentSize;
    private int count;
    private boolean ended;

    /**
     * @param channel   where the datagrams go: a flow's connected backend socket, or the listener
     * @param recipient whom they go to on an unconnected socket (the client), {@code null} on a connected one
     * @param failure   what a failed send means, as the channel's {@code exceptionCaught} would have been told
     * @param alloc     where run buffers come from: not the listener's batch pool, which has no thread caches
     * @param table     where runs sent and refused are counted
     */
    UdpTrain(Channel channel, @Nullable InetSocketAddress recipient, Failure failure, ByteBufAllocator alloc,
            UdpFlowTable table) {
        this.channel = channel;
        this.recipient = recipient;
        this.failure = failure;
        this.alloc = alloc;
        this.table = table;
    }

    /** Whether {@code channel} can send runs: an epoll datagram socket on a kernel with {@code UDP_SEGMENT}. */
    static boolean supported(Channel channel) {
        return channel instanceof EpollDatagramChannel && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    /** Takes a datagram's content (ownership passes): it joins the run, or is written after the run before it. */
    void add(ByteBuf content) {
        int length = content.readableBytes();
        ByteBuf current = run;
        if (current != null && joins(length)) {
            join(current, content, length);
            return;
        }
        send();
        if (segmenting && length > 0 && length <= MAX_SEGMENT_BYTES) {
            run = content;
            segmentSize = length;
            count = 1;
            ended = false;
        } else {
            writeOne(content);
        }
    }

    private boolean joins(int length) {
        return !ended && count < MAX_SEGMENTS && length > 0 && length <= segmentSize
                && (long) count * segmentSize + length <= MAX_RUN_BYTES;
    }

    private void join(ByteBuf current, ByteBuf content, int length) {
        ByteBuf joined = current;
        if (count == 1) {
            try {
                joined = alloc.directBuffer(Math.min(segmentSize * 16, MAX_RUN_BYTES), MAX_RUN_BYTES);
            } catch (OutOfMemoryError e) {
                // Direct memory is at its limit: the two datagrams leave alone, as they would have without runs.
                send();
                writeOne(content);
                return;
            }
            joined.writeBytes(current);
            current.release();
            run = joined;
        }
        joined.writeBytes(content);
        content.release();
        count++;
        ended = length < segmentSize;
    }

    /**
     * Writes the run held, if any, to the channel: at the end of the read loop, and before a flush. The channel is
     * flushed here only for a run of a size not yet sent on this flow's direction (see the class comment).
     */
    void send() {
        ByteBuf current = run;
        if (current == null) {
            return;
        }
        int segment = segmentSize;
        int datagrams = count;
        run = null;
        count = 0;
        if (datagrams == 1) {
            writeOne(current);
            return;
        }
        // A connected socket's packet names no recipient (so the kernel keeps its cached route); the envelope needs
        // one address, so it carries the sender's. A socket that never connected has neither: its flow failed at
        // its start, and each datagram meets that failure on its own, as it would have without runs.
        InetSocketAddress sender = recipient == null && channel.localAddress() instanceof InetSocketAddress local
                ? local : null;
        if (recipient == null && sender == null) {
            writeEach(current, segment);
            return;
        }
        // Kept until the kernel has answered: a run it refuses is sent again datagram by datagram.
        current.retain();
        ChannelPromise sent = channel.newPromise();
        sent.addListener((ChannelFuture f) -> onRunSent(f, current, segment, datagrams));
        channel.write(new SegmentedDatagramPacket(current, segment, recipient, sender), sent);
        if (segment > provenSegmentSize) {
            // The kernel may refuse this one: have it answer before anything read after the run is queued behind.
            channel.flush();
        }
    }

    private void onRunSent(ChannelFuture f, ByteBuf run, int segment, int datagrams) {
        if (f.isSuccess()) {
            run.release();
            provenSegmentSize = Math.max(provenSegmentSize, segment);
            table.onRunSent(datagrams);
            return;
        }
        Throwable cause = f.cause();
        if (!refusesRuns(cause)) {
            run.release();
            failure.onFailure(cause, datagrams);
            return;
        }
        segmenting = false;
        table.onRunRefused();
        LOG.debug("{}: the kernel refused {} datagrams as one GSO message ({}); sending them one by one, and this"
                + " flow's next ones too", channel, datagrams, cause.toString());
        writeEach(run, segment);
        channel.flush();
    }

    /** Writes each datagram of {@code run} as a message of its own, in order, and releases the run. */
    private void writeEach(ByteBuf run, int segment) {
        for (int i = run.readerIndex(), end = run.writerIndex(); i < end; i += segment) {
            writeOne(run.retainedSlice(i, Math.min(segment, end - i)));
        }
        run.release();
    }

    private static boolean refusesRuns(Throwable cause) {
        if (cause instanceof Errors.NativeIoException e) {
            int errno = -e.expectedErr();
            return errno == EIO || errno == EINVAL || errno == EMSGSIZE;
        }
        return false;
    }

    private void writeOne(ByteBuf content) {
        channel.write(recipient == null ? content : new DatagramPacket(content, recipient), channel.voidPromise());
    }

    /** Releases a run that will not be sent (the flow ended before its read loop did); returns its datagrams. */
    int discard() {
        ByteBuf current = run;
        if (current == null) {
            return 0;
        }
        int datagrams = count;
        run = null;
        count = 0;
        current.release();
        return datagrams;
    }
}
