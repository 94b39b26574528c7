package io.userspaceproxy.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The memory flags the agent sets on its own JVM, and the ones it must leave alone. */
class JvmMemoryTest {

    private final HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

    @Test
    void tune_flagsLeftAtTheirDefaults_areSetAndOnesSetBeforeAreNot() {
        Map<String, String> set = JvmMemory.tune();

        for (Map.Entry<String, String> flag : JvmMemory.FLAGS.entrySet()) {
            VMOption option = optionOrNull(flag.getKey());
            if (option == null) {
                continue; // not a flag of this JVM
            }
            if (set.containsKey(flag.getKey())) {
                assertThat(option.getValue()).as(flag.getKey()).isEqualTo(flag.getValue());
                assertThat(option.getOrigin()).isEqualTo(VMOption.Origin.MANAGEMENT);
            } else {
                assertThat(option.getOrigin()).as("%s was set before, by %s", flag.getKey(), option.getOrigin())
                        .isNotIn(VMOption.Origin.DEFAULT, VMOption.Origin.ERGONOMIC);
            }
        }
        assertThat(JvmMemory.tune()).as("a second call finds nothing left at its default").isEmpty();
    }

    private VMOption optionOrNull(String name) {
        try {
            return hotspot.getVMOption(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
