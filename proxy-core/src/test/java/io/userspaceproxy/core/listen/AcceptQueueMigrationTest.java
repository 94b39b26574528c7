package io.userspaceproxy.core.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.listen.AcceptQueueMigration.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceptQueueMigrationTest {

    @TempDir
    Path dir;

    private Path sysctl(String content) throws IOException {
        return Files.writeString(dir.resolve("tcp_migrate_req"), content);
    }

    @Test
    void read_zero_disabled() throws IOException {
        assertThat(AcceptQueueMigration.read(sysctl("0\n"))).isEqualTo(State.DISABLED);
    }

    @Test
    void read_one_enabled() throws IOException {
        assertThat(AcceptQueueMigration.read(sysctl("1\n"))).isEqualTo(State.ENABLED);
    }

    @Test
    void read_noSuchKnob_unsupportedKernel() {
        assertThat(AcceptQueueMigration.read(dir.resolve("absent"))).isEqualTo(State.UNSUPPORTED);
    }

    @Test
    void read_unreadable_unknown() {
        // A directory where the file should be: reading it fails with an IOException other than "no such file".
        assertThat(AcceptQueueMigration.read(dir)).isEqualTo(State.UNKNOWN);
    }
}
