package io.userspaceproxy.agent.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Whether and where the agent puts the Service addresses it serves, so that its listeners can bind them.
 *
 * @param enabled       true when the agent adds and removes addresses itself: by default on a cluster, and with
 *                      {@code --manifests} only when {@code --vip-interface} is given (local dev uses 127.x
 *                      addresses, which need nothing); {@code --vip-interface=none} turns it off
 * @param interfaceName the interface the addresses go on: a dummy link the agent creates (default
 *                      {@value #DEFAULT_INTERFACE}), or {@code lo}; where the kernel has no dummy link type the
 *                      agent falls back to {@code lo}, labelling its IPv4 addresses {@code lo:usp}
 * @param stateFile     where the agent records the addresses it added (default {@value #DEFAULT_STATE_FILE}), so
 *                      that a later run, or {@code --cleanup}, removes exactly those
 */
public record VipSettings(boolean enabled, String interfaceName, Path stateFile) {

    public static final String DEFAULT_INTERFACE = "usproxy0";
    public static final String DEFAULT_STATE_FILE = "/run/userspace-proxy/vips";
    /** The {@code --vip-interface} value that turns address management off. */
    public static final String NONE = "none";

    /** Linux interface names: 1 to 15 characters, none of them '/', ':' or white space. */
    private static final Pattern INTERFACE_NAME = Pattern.compile("[^/:\\s]{1,15}");

    public VipSettings {
        Objects.requireNonNull(interfaceName, "interfaceName");
        Objects.requireNonNull(stateFile, "stateFile");
    }

    static VipSettings from(KubernetesOptions o, boolean cluster) {
        Path state = o.vipStateFile == null || o.vipStateFile.toString().isBlank()
                ? Path.of(DEFAULT_STATE_FILE) : o.vipStateFile;
        String name = o.vipInterface == null ? null : o.vipInterface.trim();
        if (NONE.equals(name)) {
            return new VipSettings(false, DEFAULT_INTERFACE, state);
        }
        if (name != null && !INTERFACE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("--vip-interface: \"" + o.vipInterface + "\" (expected: an interface"
                    + " name of 1 to 15 characters without '/', ':' or spaces, or \"none\")");
        }
        boolean enabled = cluster || name != null;
        return new VipSettings(enabled, name == null ? DEFAULT_INTERFACE : name, state);
    }
}
