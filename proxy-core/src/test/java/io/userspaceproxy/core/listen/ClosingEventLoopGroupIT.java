package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The event loops of {@link Transport#newEventLoopGroup} close what is registered with them however their shutdown
 * meets them, once per transport. The race of Netty 4.2's own loops (see {@link ClosingEventLoopGroup}) is made
 * certain here: the shutdown begins while the loop runs a task.
 */
@ParameterizedClass
@EnumSource(Transport.class)
class ClosingEventLoopGroupIT {

    private final Transport transport;
    private EventLoopGroup group;

    ClosingEventLoopGroupIT(Transport transport) {
        this.transport = transport;
    }

    @BeforeEach
    void setUp() {
        assumeTrue(transport.isAvailable(), () -> transport + " unavailable: " + transport.unavailabilityCause());
        group = transport.newEventLoopGroup(1);
    }

    @AfterEach
    void tearDown() {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    private Channel listen(EventLoop loop) throws InterruptedException {
        Channel listener = transport.serverChannelFactory().newChannel();
        loop.register(listener).sync();
        listener.bind(new InetSocketAddress("127.0.0.1", 0)).sync();
        return listener;
    }

    @Test
    @Timeout(30)
    void shutdownGracefully_beginsWhileTheLoopRunsATask_closesRegisteredChannels() throws Exception {
        EventLoop loop = group.next();
        Channel listener = listen(loop);
        CountDownLatch running = new CountDownLatch(1);
        loop.execute(() -> {
            running.countDown();
            // Past the loop's own isShuttingDown() check of this turn: the next thing it does is confirmShutdown().
            await().atMost(Duration.ofSeconds(10)).until(loop::isShuttingDown);
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS))
                .isTrue();

        assertThat(listener.isOpen()).isFalse();
    }
}
