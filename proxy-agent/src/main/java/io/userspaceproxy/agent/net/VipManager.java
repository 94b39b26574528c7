package io.userspaceproxy.agent.net;

import com.uber.nullaway.annotations.MonotonicNonNull;
import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the Service addresses the agent serves (ClusterIPs, external IPs, load-balancer IPs) local, so that a
 * listener can bind them: adds what is missing to one interface and removes what is no longer served.
 *
 * <p>Ownership: on a dummy interface of its own (created on demand; the default {@code kube-ipvs0}-style setup)
 * every address is the agent's. Where the dummy link type is missing, the agent falls back to {@code lo}, and marks
 * its IPv4 addresses with the label {@code lo:usp}; it also records every address it added in a state file, which
 * is how IPv6 addresses (which carry no label) on {@code lo} are known to be its own. At start, an earlier run's
 * addresses are taken over as this run's own, not removed: the first sync removes those no longer served. Removing
 * them at start would cut off every Service on the node until that sync, and at an upgrade the earlier run is the
 * old agent, still serving on them while this one starts (see {@code AgentHandover}). {@code --init-only} and
 * {@code --cleanup} remove them; nothing else on the interface is ever touched.
 *
 * <p>Not thread-safe: called from the sync thread only. Each sync costs at most one {@code ip -batch} process.
 */
public final class VipManager {

    private static final Logger log = LoggerFactory.getLogger(VipManager.class);
    static final String LOOPBACK = "lo";
    static final String LABEL = "lo:usp";

    private final IpCommand ip;
    private final String requestedInterface;
    private final Path stateFile;
    /** Null until {@link #start()} or {@link #cleanup()} picks it. */
    private @MonotonicNonNull String device;
    private final Set<InetAddress> ours = new LinkedHashSet<>();

    public VipManager(IpCommand ip, String requestedInterface, Path stateFile) {
        this.ip = ip;
        this.requestedInterface = requestedInterface;
        this.stateFile = stateFile;
    }

    /**
     * Makes sure the interface exists (or falls back to {@code lo}) and takes over the addresses an earlier run left
     * there; the first {@link #sync} removes those no longer wanted.
     */
    public void start() {
        device = ensureInterface();
        Set<InetAddress> earlier = ownedOnDevice();
        if (!earlier.isEmpty()) {
            log.info("keeping {} Service address(es) an earlier run left on {} until the first sync", earlier.size(),
                    device);
            ours.addAll(earlier);
        }
        writeState();
    }

    /** {@link #start()}, then removes every address an earlier run left ({@code --init-only}). */
    public void startClean() {
        start();
        if (!ours.isEmpty()) {
            log.info("removing {} Service address(es) left on {} by an earlier run", ours.size(), device);
            sync(Set.of());
        }
    }

    /**
     * The addresses this agent added and still holds, as of the last {@link #sync}: they are Service addresses,
     * never node addresses (NodePorts must not listen on them). A copy; sync thread only.
     */
    public Set<InetAddress> owned() {
        return Set.copyOf(ours);
    }

    /** The interface addresses go to; null until {@link #start()} or {@link #cleanup()}. */
    public @Nullable String device() {
        return device;
    }

    /**
     * Adds every address of {@code wanted} that is missing and removes every address the agent added that is no
     * longer wanted.
     *
     * @throws IpCommand.IpCommandException when {@code ip} fails; the caller logs it and retries next sync
     */
    public void sync(Set<InetAddress> requested) {
        // Loopback addresses are local already; they are never added, so never owned.
        Set<InetAddress> wanted = new LinkedHashSet<>();
        requested.stream().filter(a -> !a.isLoopbackAddress()).forEach(wanted::add);
        List<String> lines = new ArrayList<>();
        Set<InetAddress> present = ownedOnDevice();
        for (InetAddress a : sorted(wanted)) {
            if (!present.contains(a)) {
                lines.add("address add " + prefix(a) + " dev " + device + label(a));
            }
        }
        List<InetAddress> removed = new ArrayList<>();
        for (InetAddress a : sorted(ours)) {
            if (!wanted.contains(a) && present.contains(a)) {
                lines.add("address del " + prefix(a) + " dev " + device);
                removed.add(a);
            }
        }
        try {
            ip.batch(lines);
        } finally {
            ours.removeAll(removed);
            ours.addAll(wanted);
            writeState();
        }
        if (!lines.isEmpty()) {
            log.info("Service addresses on {}: {} added, {} removed", device, lines.size() - removed.size(),
                    removed.size());
        }
    }

    /** Removes every address this agent (or an earlier run of it) added, and the dummy link if it made one. */
    public void cleanup() {
        if (device == null) {
            device = existingOrLoopback();
        }
        ours.addAll(ownedOnDevice());
        sync(Set.of());
        if (!LOOPBACK.equals(device) && linkExists(device)) {
            ip.run("link", "del", device);
            log.info("deleted interface {}", device);
        }
        try {
            Files.deleteIfExists(stateFile);
        } catch (IOException e) {
            log.warn("could not delete {}: {}", stateFile, e.toString());
        }
    }

    private String ensureInterface() {
        if (LOOPBACK.equals(requestedInterface) || linkExists(requestedInterface)) {
            return requestedInterface;
        }
        try {
            ip.run("link", "add", requestedInterface, "type", "dummy");
            ip.run("link", "set", requestedInterface, "up");
            log.info("created dummy interface {} for Service addresses", requestedInterface);
            return requestedInterface;
        } catch (IpCommand.IpCommandException e) {
            log.warn("cannot create dummy interface {} ({}); Service addresses go on lo, labelled {}",
                    requestedInterface, e.getMessage(), LABEL);
            return LOOPBACK;
        }
    }

    private String existingOrLoopback() {
        return linkExists(requestedInterface) ? requestedInterface : LOOPBACK;
    }

    private boolean linkExists(String name) {
        try {
            ip.run("link", "show", "dev", name);
            return true;
        } catch (IpCommand.IpCommandException e) {
            return false;
        }
    }

    /** The addresses on the device that belong to the agent, by the ownership rule in the class comment. */
    private Set<InetAddress> ownedOnDevice() {
        String dev = Objects.requireNonNull(device, "start() and cleanup() pick the device first");
        Set<InetAddress> recorded = readState();
        Set<InetAddress> owned = new LinkedHashSet<>();
        for (AddressLine line : AddressLine.parseAll(ip.run("-o", "address", "show", "dev", dev))) {
            InetAddress a = line.address();
            boolean mine = LOOPBACK.equals(dev)
                    ? LABEL.equals(line.label()) || recorded.contains(a) || ours.contains(a)
                    : !a.isLinkLocalAddress();
            if (mine) {
                owned.add(a);
            }
        }
        return owned;
    }

    private static String prefix(InetAddress a) {
        return a.getHostAddress() + (a instanceof Inet4Address ? "/32" : "/128");
    }

    private String label(InetAddress a) {
        return LOOPBACK.equals(device) && a instanceof Inet4Address ? " label " + LABEL : "";
    }

    private static List<InetAddress> sorted(Set<InetAddress> addresses) {
        return addresses.stream().sorted(Comparator.comparing(InetAddress::getHostAddress)).toList();
    }

    private Set<InetAddress> readState() {
        Set<InetAddress> out = new LinkedHashSet<>();
        try {
            if (Files.exists(stateFile)) {
                for (String line : Files.readAllLines(stateFile)) {
                    if (!line.isBlank()) {
                        out.add(IpAddresses.parse(line.trim()));
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            log.warn("ignoring unreadable state file {}: {}", stateFile, e.toString());
        }
        return out;
    }

    private void writeState() {
        try {
            Files.createDirectories(stateFile.toAbsolutePath().getParent());
            Files.write(stateFile, sorted(ours).stream().map(InetAddress::getHostAddress).toList());
        } catch (IOException e) {
            log.warn("could not write state file {}: {}", stateFile, e.toString());
        }
    }
}
