package io.userspaceproxy.core.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.userspaceproxy.core.metrics.CloseReason;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A spliced socket on io_uring: an {@link IoUringIoHandle} of its own keeps one multishot {@code POLL_ADD}
 * ({@code POLLIN | POLLOUT | POLLRDHUP}) armed on the socket, which posts a completion at each wake-up as
 * edge-triggered epoll reports one, and the relay splices with plain system calls.
 *
 * <p><b>Catching up.</b> Netty's io_uring channel does not read synchronously: when it lets go, a receive or a
 * write it submitted may still be in the ring, and its deregistration only submits cancellations. So the relay may
 * not touch the socket until those are behind. This watch submits a no-op after Netty's cancellations; the ring
 * starts submissions in order and a no-op completes at once, so by the time its completion is handled every
 * operation Netty started has either completed (and its bytes reached the pipeline, which passes them to the relay)
 * or been cancelled before it moved a byte.
 *
 * <p><b>Giving back.</b> A deregistered io_uring channel cannot close its socket (its close is an operation of the
 * ring it left), so {@link #unwatch} registers the channel with its loop again before the connection closes it;
 * should the loop refuse (it is shutting down), the descriptor is closed here.
 */
final class IoUringSpliceSocket extends SpliceSocket implements IoUringIoHandle {

    private static final Logger log = LoggerFactory.getLogger(IoUringSpliceSocket.class);

    // From the Linux ABI (include/uapi/linux/io_uring.h); Netty keeps its copies to itself.
    private static final byte IORING_OP_NOP = 0;
    private static final byte IORING_OP_POLL_ADD = 6;
    private static final byte IORING_OP_ASYNC_CANCEL = 14;
    private static final int IORING_POLL_ADD_MULTI = 1;
    private static final int IORING_CQE_F_MORE = 1 << 1;
    private static final int ECANCELED = 125;

    /** What each submission carries back in its completion. */
    private static final short POLL = 1;
    private static final short CAUGHT_UP = 2;
    private static final short CANCEL = 3;

    private static final int EVENTS = POLLIN | POLLOUT | POLLRDHUP;

    private @Nullable IoRegistration registration;
    /** The armed poll's id for a cancellation; 0 when none is armed. */
    private long pollId;

    IoUringSpliceSocket(SpliceRelay relay, Channel channel, CloseReason failure) {
        super(relay, channel, failure);
    }

    @Override
    void watch(IoEventLoop loop) throws IOException {
        IoRegistration registered = register(loop, this);
        registration = registered;
        arm(registered);
        registered.submit(op(IORING_OP_NOP, -1, 0, 0, 0L, CAUGHT_UP));
    }

    private void arm(IoRegistration registered) {
        pollId = registered.submit(op(IORING_OP_POLL_ADD, fd.intValue(), IORING_POLL_ADD_MULTI, EVENTS, 0L, POLL));
    }

    /** An SQE with the fields these operations use; see {@link IoUringIoOps}'s constructor for the layout. */
    private static IoUringIoOps op(byte opcode, int fd, int len, int opFlags, long address, short data) {
        return new IoUringIoOps(opcode, (byte) 0, (short) 0, fd, 0L, address, len, opFlags, data, (short) 0,
                (short) 0, 0, 0L);
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        IoUringIoEvent completion = (IoUringIoEvent) event;
        if (completion.data() == POLL) {
            onPoll(completion.res(), completion.flags());
        } else if (completion.data() == CAUGHT_UP) {
            relay.onCaughtUp();
        }
        // CANCEL: the cancellation's own completion; the poll reports its end itself.
    }

    private void onPoll(int res, int flags) {
        boolean armed = (flags & IORING_CQE_F_MORE) != 0;
        if (!armed) {
            pollId = 0;
        }
        if (res == -ECANCELED || registration == null) {
            return;
        }
        if (res < 0) {
            relay.fail(this, new IOException("io_uring poll failed: errno " + -res));
            return;
        }
        relay.onEvents(this, res);
        IoRegistration registered = registration;
        if (!armed && registered != null) {
            arm(registered); // a multishot poll can end by itself (an overflowing completion ring): re-arm it
        }
    }

    @Override
    void unwatch() {
        IoRegistration registered = registration;
        if (registered != null) {
            registration = null;
            if (pollId != 0) {
                registered.submit(op(IORING_OP_ASYNC_CANCEL, -1, 0, 0, pollId, CANCEL));
                pollId = 0;
            }
            registered.cancel(); // leaves the ring once the cancelled poll's last completion is in
        }
        if (deregistered) {
            deregistered = false;
            giveBack();
        }
    }

    private void giveBack() {
        ChannelFuture registered = channel.eventLoop().register(channel);
        if (registered.isSuccess()) {
            return;
        }
        log.debug("{} not registered again ({}), closing its socket directly", channel, registered.cause());
        try {
            fd.close();
        } catch (IOException e) {
            log.debug("{} close failed: {}", channel, e.toString());
        }
    }
}
