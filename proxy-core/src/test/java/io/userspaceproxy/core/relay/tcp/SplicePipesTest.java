package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.FastThreadLocal;
import io.userspaceproxy.core.relay.tcp.SplicePipes.Pipe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The splice relay's pipes: grown to 1 MiB where the JDK can call {@code fcntl} (Java 22 and later), no more than
 * {@link SplicePipes#MAX_GROWN} at a time, the kernel's 64 KiB otherwise. A pipe's capacity is measured by filling it
 * with non-blocking writes until the kernel says it is full, not read back through the call under test.
 */
class SplicePipesTest {

    private static final int KERNEL_DEFAULT = 64 * 1024;
    private static final boolean JAVA_22_OR_LATER = Runtime.version().feature() >= 22;

    private final List<Pipe> held = new ArrayList<>();

    @BeforeAll
    static void nativeLibrary() {
        // The splice relay runs where epoll's native library loads, and so do Netty's descriptor calls here.
        assumeTrue(Epoll.isAvailable(), "epoll's native library does not load here");
    }

    @AfterEach
    void closePipes() {
        held.forEach(pipe -> SplicePipes.release(pipe, false));
        FastThreadLocal.removeAll();
    }

    @Test
    void pipeCapacity_availableFromJava22_elseSaysWhy() {
        assertThat(PipeCapacity.isAvailable()).isEqualTo(JAVA_22_OR_LATER);
        if (JAVA_22_OR_LATER) {
            assertThat(PipeCapacity.unavailabilityCause()).isNull();
        } else {
            assertThat(PipeCapacity.unavailabilityCause()).contains("needs Java 22 or later");
        }
    }

    @Test
    void acquire_newPipe_isGrownToOneMebibyteFromJava22() throws IOException {
        Pipe pipe = acquire();

        assertThat(pipe.grown()).isEqualTo(JAVA_22_OR_LATER);
        assertThat(bytesItTakes(pipe)).isEqualTo(JAVA_22_OR_LATER ? SplicePipes.GROWN_CAPACITY : KERNEL_DEFAULT);
    }

    @Test
    void acquire_pastMaxGrown_keepsTheDefault_untilAGrownPipeCloses() throws IOException {
        int room = JAVA_22_OR_LATER ? SplicePipes.MAX_GROWN - SplicePipes.grown() : 0;
        for (int i = 0; i < room; i++) {
            assertThat(acquire().grown()).as("pipe %d of %d", i, room).isTrue();
        }
        Pipe beyond = acquire();

        assertThat(beyond.grown()).isFalse();
        assertThat(bytesItTakes(beyond)).isEqualTo(KERNEL_DEFAULT);
        assertThat(SplicePipes.grown()).isEqualTo(JAVA_22_OR_LATER ? SplicePipes.MAX_GROWN : 0);

        if (JAVA_22_OR_LATER) {
            SplicePipes.release(held.remove(0), false); // may hold bytes: closed, and its room is free again
            assertThat(SplicePipes.grown()).isEqualTo(SplicePipes.MAX_GROWN - 1);
            Pipe next = acquire();
            assertThat(next.grown()).isTrue();
            assertThat(bytesItTakes(next)).isEqualTo(SplicePipes.GROWN_CAPACITY);
        }
    }

    @Test
    void release_emptyGrownPipe_isPooledAndStaysGrown() throws IOException {
        Pipe pipe = acquire();
        held.remove(pipe);
        int grown = SplicePipes.grown();

        SplicePipes.release(pipe, true);

        assertThat(SplicePipes.idleOnThisThread()).isEqualTo(1);
        assertThat(SplicePipes.grown()).as("a pooled pipe keeps its room").isEqualTo(grown);
        assertThat(acquire()).isSameAs(pipe);
        assertThat(bytesItTakes(pipe)).isEqualTo(JAVA_22_OR_LATER ? SplicePipes.GROWN_CAPACITY : KERNEL_DEFAULT);
    }

    private Pipe acquire() {
        Pipe pipe = SplicePipes.acquire();
        assertThat(pipe).isNotNull();
        held.add(pipe);
        return pipe;
    }

    /** Fills the pipe a page-multiple write at a time until it is full; what it took is its capacity. */
    private static int bytesItTakes(Pipe pipe) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(16 * 1024);
        int total = 0;
        int n;
        while ((n = pipe.writeEnd().write(chunk, 0, chunk.capacity())) > 0) {
            total += n;
        }
        return total;
    }
}
