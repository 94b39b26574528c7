package io.userspaceproxy.core.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code O_NONBLOCK} set through the thread's descriptor-passing pair, read back from {@code /proc/self/fdinfo}.
 * A regular file stands in for a blocking socket: the flag and the way it is set are the same for every open file.
 */
class NonBlockingSocketsTest {

    private static final int O_NONBLOCK = 04000;

    @TempDir
    Path dir;

    @BeforeAll
    static void nativeLibrary() {
        // The splice relay runs where epoll's native library loads, and so do Netty's descriptor calls here.
        assumeTrue(Epoll.isAvailable(), "epoll's native library does not load here");
    }

    @AfterEach
    void closeThePair() {
        FastThreadLocal.removeAll();
    }

    @Test
    void set_blockingDescriptor_isNonBlockingAfterwardsAndNoCopyStaysOpen() throws IOException {
        FileDescriptor warm = open("warm");
        FileDescriptor fd = open("file");
        try {
            NonBlockingSockets.set(warm); // the first call makes the pair: two descriptors that stay
            long before = openDescriptors();
            assertThat(isNonBlocking(fd)).isFalse();

            NonBlockingSockets.set(fd);

            assertThat(isNonBlocking(fd)).isTrue();
            for (int i = 0; i < 20; i++) {
                NonBlockingSockets.set(fd);
            }
            assertThat(openDescriptors()).as("each received copy is closed").isEqualTo(before);
        } finally {
            fd.close();
            warm.close();
        }
    }

    @Test
    void set_afterAFailure_aFreshPairServesTheNextSocket() throws IOException {
        FileDescriptor beyondTheLimit = new FileDescriptor(1_000_000); // above any open-files limit: never open
        assertThatThrownBy(() -> NonBlockingSockets.set(beyondTheLimit)).isInstanceOf(IOException.class);

        FileDescriptor fd = open("file");
        try {
            NonBlockingSockets.set(fd);
            assertThat(isNonBlocking(fd)).isTrue();
        } finally {
            fd.close();
        }
    }

    private FileDescriptor open(String name) throws IOException {
        return FileDescriptor.from(Files.writeString(dir.resolve(name), name).toFile());
    }

    private static boolean isNonBlocking(FileDescriptor fd) throws IOException {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/fdinfo/" + fd.intValue()))) {
            String flags = lines.filter(line -> line.startsWith("flags:")).findFirst().orElseThrow();
            return (Integer.parseInt(flags.substring("flags:".length()).trim(), 8) & O_NONBLOCK) != 0;
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
