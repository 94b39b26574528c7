package io.userspaceproxy.agent.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VIP bookkeeping against a fake {@code ip} that keeps addresses in memory, as the kernel would. */
class VipManagerTest {

    @TempDir
    Path tmp;

    /** A fake iproute2: one device's addresses with labels; no dummy link type, like this workplace's kernel. */
    static final class FakeIp extends IpCommand {
        final Map<String, String> addresses = new LinkedHashMap<>(); // address -> label (null for IPv6)
        final List<String> batches = new ArrayList<>();
        final boolean dummySupported;
        boolean dummyExists;

        FakeIp(boolean dummySupported) {
            this.dummySupported = dummySupported;
            addresses.put("127.0.0.1", "lo");
            addresses.put("::1", null);
        }

        @Override
        public String run(String... args) {
            String cmd = String.join(" ", args);
            if (cmd.startsWith("link show dev lo")) {
                return "1: lo";
            }
            if (cmd.startsWith("link show dev")) {
                if (dummyExists) {
                    return "5: usproxy0";
                }
                throw new IpCommandException("Device does not exist");
            }
            if (cmd.startsWith("link add")) {
                if (!dummySupported) {
                    throw new IpCommandException("Error: Unknown device type.");
                }
                dummyExists = true;
                return "";
            }
            if (cmd.startsWith("-o address show")) {
                StringBuilder out = new StringBuilder();
                addresses.forEach((a, label) -> out.append(label == null
                        ? "1: lo    inet6 " + a + "/128 scope global \\       valid_lft forever\n"
                        : "1: lo    inet " + a + "/32 scope global " + label + "\\       valid_lft forever\n"));
                return out.toString();
            }
            return "";
        }

        @Override
        public void batch(List<String> lines) {
            batches.addAll(lines);
            for (String line : lines) {
                String[] w = line.split(" ");
                String addr = w[2].substring(0, w[2].indexOf('/'));
                if ("add".equals(w[1])) {
                    addresses.put(addr, addr.contains(":") ? null : (line.contains("label") ? w[w.length - 1] : "lo"));
                } else {
                    addresses.remove(addr);
                }
            }
        }
    }

    private static Set<InetAddress> ips(String... s) {
        return Stream.of(s).map(IpAddresses::parse).collect(Collectors.toSet());
    }

    @Test
    void sync_onLoopback_addsLabelledAndRemovesOnlyItsOwn() {
        FakeIp ip = new FakeIp(false);
        ip.addresses.put("10.1.1.1", "lo"); // someone else's address
        VipManager vips = new VipManager(ip, "usproxy0", tmp.resolve("vips"));
        vips.start();
        assertThat(vips.device()).isEqualTo("lo");

        vips.sync(ips("10.96.0.1", "10.96.0.2", "fd00::10", "127.0.0.5"));
        assertThat(ip.batches).containsExactly(
                "address add 10.96.0.1/32 dev lo label lo:usp",
                "address add 10.96.0.2/32 dev lo label lo:usp",
                "address add fd00:0:0:0:0:0:0:10/128 dev lo");

        ip.batches.clear();
        vips.sync(ips("10.96.0.2"));
        assertThat(ip.batches).containsExactlyInAnyOrder(
                "address del 10.96.0.1/32 dev lo", "address del fd00:0:0:0:0:0:0:10/128 dev lo");
        assertThat(ip.addresses).containsKeys("127.0.0.1", "::1", "10.1.1.1", "10.96.0.2")
                .doesNotContainKeys("10.96.0.1", "fd00:0:0:0:0:0:0:10");
    }

    @Test
    void start_earlierRunsAddresses_keptUntilTheFirstSync_whichRemovesTheUnwanted() throws Exception {
        FakeIp ip = earlierRun();

        VipManager vips = new VipManager(ip, "usproxy0", tmp.resolve("vips"));
        vips.start();

        assertThat(ip.addresses).as("an old agent may still serve on them (upgrade)")
                .containsKeys("10.96.0.9", "fd00:0:0:0:0:0:0:9", "fd00:0:0:0:0:0:0:7");
        assertThat(vips.owned()).containsExactlyInAnyOrder(ips("10.96.0.9", "fd00::9").toArray(new InetAddress[0]));

        vips.sync(ips("10.96.0.9"));

        assertThat(ip.addresses).containsKeys("10.96.0.9", "fd00:0:0:0:0:0:0:7", "127.0.0.1")
                .doesNotContainKey("fd00:0:0:0:0:0:0:9");
    }

    @Test
    void startClean_leftoversOfEarlierRun_areRemovedButOthersKept() throws Exception {
        FakeIp ip = earlierRun();

        new VipManager(ip, "usproxy0", tmp.resolve("vips")).startClean();

        assertThat(ip.addresses).doesNotContainKeys("10.96.0.9", "fd00:0:0:0:0:0:0:9")
                .containsKeys("fd00:0:0:0:0:0:0:7", "127.0.0.1");
    }

    private FakeIp earlierRun() throws IOException {
        FakeIp ip = new FakeIp(false);
        ip.addresses.put("10.96.0.9", "lo:usp");          // labelled by an earlier run
        ip.addresses.put("fd00:0:0:0:0:0:0:9", null);     // recorded in the earlier run's state file
        ip.addresses.put("fd00:0:0:0:0:0:0:7", null);     // not ours
        Files.writeString(tmp.resolve("vips"), "fd00:0:0:0:0:0:0:9\n");
        return ip;
    }

    @Test
    void cleanup_removesEverythingAddedAndTheStateFile() throws Exception {
        FakeIp ip = new FakeIp(false);
        VipManager vips = new VipManager(ip, "usproxy0", tmp.resolve("vips"));
        vips.start();
        vips.sync(ips("10.96.0.1", "fd00::1"));

        new VipManager(ip, "usproxy0", tmp.resolve("vips")).cleanup();

        assertThat(ip.addresses).containsOnlyKeys("127.0.0.1", "::1");
        assertThat(tmp.resolve("vips")).doesNotExist();
    }

    @Test
    void start_dummySupported_usesItsOwnInterface() {
        FakeIp ip = new FakeIp(true);
        VipManager vips = new VipManager(ip, "usproxy0", tmp.resolve("vips"));
        vips.start();
        assertThat(vips.device()).isEqualTo("usproxy0");
        assertThat(ip.dummyExists).isTrue();
    }

    @Test
    void addressLine_parsesLabelAndIpv6() {
        assertThat(AddressLine.parse("1: lo    inet 10.96.0.1/32 scope global lo:usp\\       valid_lft forever"))
                .isEqualTo(new AddressLine(IpAddresses.parse("10.96.0.1"), "lo:usp"));
        assertThat(AddressLine.parse("1: lo    inet6 fd00::1/128 scope global \\       valid_lft forever"))
                .isEqualTo(new AddressLine(IpAddresses.parse("fd00::1"), null));
        assertThat(AddressLine.parse("1: lo: <LOOPBACK,UP> mtu 65536")).isNull();
    }
}
