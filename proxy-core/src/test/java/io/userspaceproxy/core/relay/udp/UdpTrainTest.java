package io.userspaceproxy.core.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which datagrams leave as one GSO message and which alone, in what order, and what a refused run becomes; on an
 * embedded channel that records the messages the relay writes (the kernel's side is {@code UdpRelayIT}'s).
 */
class UdpTrainTest {

    static final InetSocketAddress CLIENT = new InetSocketAddress("127.0.0.2", 40000);
    static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 50000);
    static final int EMSGSIZE = 90;
    static final int ECONNREFUSED = 111;

    final UdpFlowTable table = UdpFlowTable.create(UdpRelayOptions.DEFAULT);
    final List<ByteBuf> received = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        assertThat(received).as("every datagram handed over is released").allMatch(b -> b.refCnt() == 0);
    }

    /** The relay's listener: unconnected, so each message names the client. */
    UdpTrain toClient() {
        return new UdpTrain(channel, CLIENT, (cause, n) -> failures.add(n + " " + cause.getMessage()),
                ByteBufAllocator.DEFAULT, table);
    }

    /** A flow's backend socket: connected, so messages name no recipient. */
    UdpTrain toEndpoint() {
        channel = new EmbeddedChannel() {
            @Override
            protected SocketAddress localAddress0() {
                return LOCAL;
            }
        };
        return new UdpTrain(channel, null, (cause, n) -> failures.add(n + " " + cause.getMessage()),
                ByteBufAllocator.DEFAULT, table);
    }

    /** A datagram of {@code size} bytes, every byte {@code tag}, in a direct buffer as the listener reads them. */
    ByteBuf datagram(int size, int tag) {
        ByteBuf content = Unpooled.directBuffer(size);
        for (int i = 0; i < size; i++) {
            content.writeByte(tag);
        }
        received.add(content);
        return content;
    }

    void add(UdpTrain train, int count, int size, int firstTag) {
        for (int i = 0; i < count; i++) {
            train.add(datagram(size, firstTag + i));
        }
    }

    /** The messages written, after the read loop's end: "size×count" for a run, "size" for a single datagram. */
    List<String> sent(UdpTrain train) {
        train.send();
        channel.flush();
        channel.runPendingTasks();
        List<String> shapes = new ArrayList<>();
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            try {
                shapes.add(shape(msg));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }
        return shapes;
    }

    static String shape(Object msg) {
        if (msg instanceof SegmentedDatagramPacket run) {
            int bytes = run.content().readableBytes();
            int segment = run.segmentSize();
            return segment + "x" + bytes / segment + (bytes % segment == 0 ? "" : "+" + bytes % segment);
        }
        ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
        return Integer.toString(content.readableBytes());
    }

    @Test
    void add_datagramsOfOneSize_leaveAsOneRunInOrder() {
        UdpTrain train = toClient();
        add(train, 10, 64, 1);

        train.send();
        channel.flush();
        SegmentedDatagramPacket run = channel.readOutbound();
        try {
            assertThat(run.recipient()).isEqualTo(CLIENT);
            assertThat(run.segmentSize()).isEqualTo(64);
            byte[] expected = new byte[640];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = (byte) (1 + i / 64);
            }
            assertThat(ByteBufUtil.getBytes(run.content())).isEqualTo(expected);
        } finally {
            run.release();
        }
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(table.segmentedDatagrams()).isEqualTo(10);
    }

    @Test
    void add_connectedSocket_runNamesNoRecipient() {
        UdpTrain train = toEndpoint();
        add(train, 3, 100, 1);

        train.send();
        channel.flush();
        SegmentedDatagramPacket run = channel.readOutbound();
        try {
            assertThat(run.recipient()).as("the kernel keeps the connected socket's route").isNull();
            assertThat(run.content().readableBytes()).isEqualTo(300);
        } finally {
            run.release();
        }
    }

    @Test
    void send_socketNeverConnected_sendsEachDatagramToMeetItsFailure() {
        UdpTrain train = new UdpTrain(channel, null, (cause, n) -> failures.add(n + " " + cause.getMessage()),
                ByteBufAllocator.DEFAULT, table);
        add(train, 3, 100, 1);

        assertThat(sent(train)).containsExactly("100", "100", "100");
    }

    @Test
    void add_shorterDatagram_endsTheRunAsItsLastSegment() {
        UdpTrain train = toClient();
        add(train, 5, 100, 1);
        add(train, 1, 40, 6);
        add(train, 3, 100, 7);

        assertThat(sent(train)).containsExactly("100x5+40", "100x3");
    }

    @Test
    void add_longerDatagram_sendsTheRunBeforeIt() {
        UdpTrain train = toClient();
        add(train, 1, 100, 1);
        add(train, 2, 200, 2);
        add(train, 1, 300, 4);

        assertThat(sent(train)).containsExactly("100", "200x2", "300");
    }

    @Test
    void add_pastMaxSegments_startsTheNextRun() {
        UdpTrain train = toClient();
        add(train, UdpTrain.MAX_SEGMENTS + 6, 64, 1);

        assertThat(sent(train)).containsExactly("64x" + UdpTrain.MAX_SEGMENTS, "64x6");
    }

    @Test
    void add_pastMaxRunBytes_startsTheNextRun() {
        UdpTrain train = toClient();
        add(train, 60, 1_200, 1);

        // 54 × 1,200 = 64,800 bytes; a 55th would pass 65,507.
        assertThat(sent(train)).containsExactly("1200x54", "1200x6");
    }

    @Test
    void add_datagramLargerThanAnyPathsSegment_leavesAlone() {
        UdpTrain train = toClient();
        add(train, 3, UdpTrain.MAX_SEGMENT_BYTES + 1, 1);
        add(train, 2, UdpTrain.MAX_SEGMENT_BYTES, 4);

        assertThat(sent(train)).containsExactly("1233", "1233", "1233", "1232x2");
    }

    @Test
    void add_emptyDatagram_neverJoinsARun() {
        UdpTrain train = toClient();
        add(train, 2, 64, 1);
        add(train, 1, 0, 3);
        add(train, 2, 64, 4);

        assertThat(sent(train)).containsExactly("64x2", "0", "64x2");
    }

    @Test
    void add_oneDatagramPerReadLoop_leavesAsItAlwaysDid() {
        UdpTrain train = toClient();
        add(train, 1, 64, 1);

        assertThat(sent(train)).containsExactly("64");
        assertThat(table.segmentedDatagrams()).isZero();
    }

    @Test
    void send_kernelRefusesTheRun_resendsEachDatagramInOrderAndMakesNoMoreRuns() {
        channel = new EmbeddedChannel(refusingRuns(-EMSGSIZE));
        UdpTrain train = toClient();
        add(train, 4, 100, 1);
        add(train, 1, 30, 5);

        train.send();
        channel.flush();
        channel.runPendingTasks();
        List<byte[]> resent = new ArrayList<>();
        DatagramPacket packet;
        while ((packet = channel.readOutbound()) != null) {
            assertThat(packet).isNotInstanceOf(SegmentedDatagramPacket.class);
            assertThat(packet.recipient()).isEqualTo(CLIENT);
            resent.add(ByteBufUtil.getBytes(packet.content()));
            packet.release();
        }
        assertThat(resent).extracting(b -> b.length + ":" + b[0])
                .containsExactly("100:1", "100:2", "100:3", "100:4", "30:5");
        assertThat(table.refusedRuns()).isOne();
        assertThat(failures).isEmpty();

        add(train, 3, 100, 6);
        assertThat(sent(train)).as("this flow's direction sends one by one from now on")
                .containsExactly("100", "100", "100");
    }

    @Test
    void send_refusedAtTheFlush_runStillLeavesBeforeWhatWasReadAfterIt() {
        channel = new EmbeddedChannel(refusingRunsAtFlush(-EMSGSIZE));
        UdpTrain train = toClient();
        add(train, 3, 100, 1);
        add(train, 1, 200, 4);

        assertThat(sent(train)).as("the run, refused and resent, before the longer datagram read after it")
                .containsExactly("100", "100", "100", "200");
        assertThat(table.refusedRuns()).isOne();
    }

    @Test
    void send_segmentSizeSentBefore_notFlushedEarly() {
        int[] flushes = {0};
        channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes[0]++;
                ctx.flush();
            }
        });
        UdpTrain train = toClient();
        add(train, 3, 100, 1);
        train.send();
        assertThat(flushes[0]).as("a first run of its size is flushed at once").isOne();
        assertThat(sent(train)).containsExactly("100x3");

        flushes[0] = 0;
        add(train, 3, 100, 4);
        train.send();
        assertThat(flushes[0]).as("a size already sent waits for the read loop's flush").isZero();
        add(train, 2, 100, 7);
        assertThat(sent(train)).containsExactly("100x3", "100x2");
    }

    @Test
    void add_directMemoryExhausted_datagramsLeaveAlone() {
        UdpTrain train = new UdpTrain(channel, CLIENT, (cause, n) -> failures.add(n + " " + cause.getMessage()),
                new AbstractByteBufAllocator(true) {
                    @Override
                    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                        return Unpooled.buffer(initialCapacity, maxCapacity);
                    }

                    @Override
                    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                        throw new OutOfMemoryError("direct memory");
                    }

                    @Override
                    public boolean isDirectBufferPooled() {
                        return false;
                    }
                }, table);
        add(train, 3, 100, 1);

        assertThat(sent(train)).containsExactly("100", "100", "100");
    }

    @Test
    void send_runFailsOtherwise_tellsTheFlowWithItsDatagramCount() {
        channel = new EmbeddedChannel(refusingRuns(-ECONNREFUSED));
        UdpTrain train = toClient();
        add(train, 4, 100, 1);

        assertThat(sent(train)).isEmpty();
        assertThat(failures).singleElement().asString().startsWith("4 ");
        assertThat(table.refusedRuns()).isZero();
    }

    @Test
    void discard_releasesTheRunHeldAndCountsIt() {
        UdpTrain train = toClient();
        add(train, 3, 64, 1);

        assertThat(train.discard()).as("datagrams the flow counts as dropped").isEqualTo(3);

        assertThat(sent(train)).isEmpty();
    }

    /**
     * Fails every GSO message as {@code sendmmsg} does, at the flush, with {@code -errno}: what was written after it
     * has passed on by then, as the rest of a flushed batch goes on after a failed message.
     */
    static ChannelOutboundHandlerAdapter refusingRunsAtFlush(int negativeErrno) {
        Epoll.ensureAvailability();
        return new ChannelOutboundHandlerAdapter() {
            private final List<ChannelPromise> runs = new ArrayList<>();

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof SegmentedDatagramPacket run) {
                    run.release();
                    runs.add(promise);
                } else {
                    ctx.write(msg, promise);
                }
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
                List<ChannelPromise> failing = List.copyOf(runs);
                runs.clear();
                for (ChannelPromise promise : failing) {
                    promise.setFailure(Errors.newIOException("sendmmsg", negativeErrno));
                }
                ctx.flush();
            }
        };
    }

    /** Fails every GSO message as {@code sendmmsg} would with {@code -errno}; passes single datagrams on. */
    static ChannelOutboundHandlerAdapter refusingRuns(int negativeErrno) {
        Epoll.ensureAvailability(); // Errors reads errno names through the native library
        return new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof SegmentedDatagramPacket run) {
                    run.release();
                    IOException refused = Errors.newIOException("sendmmsg", negativeErrno);
                    promise.setFailure(refused);
                } else {
                    ctx.write(msg, promise);
                }
            }
        };
    }
}
