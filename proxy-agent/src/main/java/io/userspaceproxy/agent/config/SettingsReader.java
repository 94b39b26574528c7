package io.userspaceproxy.agent.config;

import io.userspaceproxy.core.model.IpAddresses;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Turns one parsed {@code KubeProxyConfiguration} into {@link KubeProxyFileSettings}: the fields that apply are
 * converted and validated, known kube-proxy fields that do not apply to userspace mode are collected for one
 * warning, and any other field is an error. Zero values (null, {@code ""}, {@code 0}, {@code 0s}) leave a field
 * unset, because kube-proxy's defaulting replaces them too. Besides the typed settings, it keeps each applicable
 * value's text under the flag it stands for ({@link #flagValues}), which picocli takes as that flag's default.
 */
final class SettingsReader {

    private static final Set<String> TOP_LEVEL = Set.of("apiVersion", "kind", "mode", "clientConnection",
            "hostnameOverride", "bindAddress", "healthzBindAddress", "metricsBindAddress", "nodePortAddresses",
            "iptables", "syncPeriod", "minSyncPeriod", "configSyncPeriod", "udpIdleTimeout", "logging");
    private static final Set<String> CLIENT = Set.of("kubeconfig", "qps", "burst");
    private static final Set<String> IPTABLES = Set.of("syncPeriod", "minSyncPeriod");
    private static final Set<String> LOGGING = Set.of("verbosity");

    private final String source;
    private final NodeValues values;
    private final KubeProxyFileSettings.Builder settings = KubeProxyFileSettings.builder();
    private final Map<String, String> flagValues = new LinkedHashMap<>();
    private final List<String> ignored = new ArrayList<>();

    SettingsReader(String source) {
        this.source = source;
        this.values = new NodeValues(source);
    }

    /** The known fields that were set but do not apply, as {@code name (line N)}, in file order. */
    List<String> ignored() {
        return List.copyOf(ignored);
    }

    /**
     * The file's values that apply, by the long name of the flag each stands for ({@code --udp-timeout}), as the
     * file spells them: picocli converts them as it converts the flag. Only valid values are here.
     */
    Map<String, String> flagValues() {
        return Map.copyOf(flagValues);
    }

    /** The applicable fields {@link #read} found, converted. */
    KubeProxyFileSettings settings() {
        return settings.build();
    }

    /** Reads the document {@code root}; call once. */
    void read(Node root) throws ConfigFileException {
        MappingNode top = values.mapping(root, "the document");
        Map<String, NodeTuple> fields = values.fields(top);
        requireHeader(top, fields, "apiVersion", KubeProxyConfigurationFile.API_VERSION);
        requireHeader(top, fields, "kind", KubeProxyConfigurationFile.KIND);
        for (Map.Entry<String, NodeTuple> e : fields.entrySet()) {
            if (accept(e.getKey(), "", e.getValue(), TOP_LEVEL, IgnoredFields.TOP_LEVEL)) {
                topLevel(e.getKey(), e.getValue().getValueNode());
            }
        }
        periods(fields);
    }

    private void topLevel(String name, Node value) throws ConfigFileException {
        switch (name) {
            case "mode" -> {
                Optional<String> mode = values.string(value, name);
                if (mode.isPresent() && !mode.get().equals(KubeProxyConfigurationFile.USERSPACE)) {
                    throw values.error(value, "mode: \"" + mode.get() + "\" (expected: \"userspace\"; this proxy "
                            + "runs only in userspace mode)");
                }
                typed(value, name, "--proxy-mode", t -> t).ifPresent(settings::mode);
            }
            case "clientConnection" -> clientConnection(value);
            case "hostnameOverride" -> typed(value, name, "--hostname-override", t -> t)
                    .ifPresent(settings::hostnameOverride);
            case "bindAddress" -> typed(value, name, "--bind-address", IpAddresses::parse)
                    .ifPresent(settings::bindAddress);
            case "healthzBindAddress" -> typed(value, name, "--healthz-bind-address", HostPort::parse)
                    .ifPresent(settings::healthzBindAddress);
            case "metricsBindAddress" -> typed(value, name, "--metrics-bind-address", HostPort::parse)
                    .ifPresent(settings::metricsBindAddress);
            case "nodePortAddresses" -> settings.nodePortAddresses(nodePortAddresses(value));
            case "configSyncPeriod" -> values.duration(value, name).ifPresent(d -> settings.configSyncPeriod(
                    flag("--config-sync-period", d)));
            case "udpIdleTimeout" -> values.duration(value, name).ifPresent(d -> settings.udpIdleTimeout(
                    flag("--udp-timeout", d)));
            case "logging" -> logging(value);
            default -> { } // apiVersion and kind were checked; iptables and the sync periods are read by periods()
        }
    }

    private void requireHeader(MappingNode top, Map<String, NodeTuple> fields, String name, String expected)
            throws ConfigFileException {
        NodeTuple field = fields.get(name);
        if (field == null) {
            throw values.error(top, name + ": missing (expected: " + expected + ")");
        }
        String value = values.string(field.getValueNode(), name).orElse("");
        if (!value.equals(expected)) {
            throw values.error(field.getKeyNode(), name + ": \"" + value + "\" (expected: " + expected + ")");
        }
    }

    private void clientConnection(Node value) throws ConfigFileException {
        if (YamlNodes.isEmpty(value)) {
            return;
        }
        for (Map.Entry<String, NodeTuple> e : values.fields(values.mapping(value, "clientConnection")).entrySet()) {
            String name = e.getKey();
            if (!accept(name, "clientConnection.", e.getValue(), CLIENT, IgnoredFields.CLIENT)) {
                continue;
            }
            String path = "clientConnection." + name;
            Node v = e.getValue().getValueNode();
            switch (name) {
                case "kubeconfig" -> typed(v, path, "--kubeconfig", Path::of).ifPresent(settings::kubeconfig);
                case "qps" -> number(v, path, false, "--kube-api-qps").ifPresent(settings::qps);
                default -> number(v, path, true, "--kube-api-burst").ifPresent(b -> settings.burst(b.intValue()));
            }
        }
    }

    /** {@code syncPeriod}/{@code minSyncPeriod}: top level (newer kube-proxy) or under {@code iptables} (older). */
    private void periods(Map<String, NodeTuple> top) throws ConfigFileException {
        Map<String, NodeTuple> iptables = Map.of();
        NodeTuple iptablesField = top.get("iptables");
        if (iptablesField != null && !YamlNodes.isEmpty(iptablesField.getValueNode())) {
            iptables = values.fields(values.mapping(iptablesField.getValueNode(), "iptables"));
            for (Map.Entry<String, NodeTuple> e : iptables.entrySet()) {
                accept(e.getKey(), "iptables.", e.getValue(), IPTABLES, IgnoredFields.IPTABLES);
            }
        }
        period(top, iptables, "syncPeriod").ifPresent(d -> settings.syncPeriod(flag("--sync-period", d)));
        period(top, iptables, "minSyncPeriod").ifPresent(d -> settings.minSyncPeriod(flag("--min-sync-period", d)));
    }

    private Optional<NodeValues.Text<Duration>> period(Map<String, NodeTuple> top, Map<String, NodeTuple> iptables, String name)
            throws ConfigFileException {
        NodeTuple topField = top.get(name);
        NodeTuple nested = iptables.get(name);
        Optional<NodeValues.Text<Duration>> value = topField == null ? Optional.empty()
                : values.duration(topField.getValueNode(), name);
        Optional<NodeValues.Text<Duration>> nestedValue = nested == null ? Optional.empty()
                : values.duration(nested.getValueNode(), "iptables." + name);
        if (topField != null && nested != null && value.isPresent() && nestedValue.isPresent()
                && !value.get().value().equals(nestedValue.get().value())) {
            throw values.error(topField.getKeyNode(), name + ": " + GoDuration.format(value.get().value())
                    + " disagrees with iptables." + name + ": " + GoDuration.format(nestedValue.get().value()) + " on line " + YamlNodes.line(nested.getKeyNode())
                    + " (expected: one of them, or the same value)");
        }
        return value.isPresent() ? value : nestedValue;
    }

    /** {@code logging.verbosity} is kube-proxy's {@code -v}; the rest of {@code logging} is Logback's business. */
    private void logging(Node value) throws ConfigFileException {
        if (YamlNodes.isEmpty(value)) {
            return;
        }
        for (Map.Entry<String, NodeTuple> e : values.fields(values.mapping(value, "logging")).entrySet()) {
            if (accept(e.getKey(), "logging.", e.getValue(), LOGGING, IgnoredFields.LOGGING)) {
                number(e.getValue().getValueNode(), "logging.verbosity", true, "--v")
                        .ifPresent(v -> settings.verbosity(v.intValue()));
            }
        }
    }

    /**
     * True when the field applies; records it, with the reason, when known but ignored and set to something other
     * than its zero value; fails when unknown.
     */
    private boolean accept(String name, String prefix, NodeTuple field, Set<String> applies, Map<String, String> ignores)
            throws ConfigFileException {
        if (applies.contains(name)) {
            return true;
        }
        String reason = ignores.get(name);
        int line = YamlNodes.line(field.getKeyNode());
        if (reason == null) {
            throw new ConfigFileException(source, line, "unknown field \"" + prefix + name + "\"");
        }
        if (!IgnoredFields.isZero(name, field.getValueNode())) {
            ignored.add(prefix + name + " (line " + line + ": " + reason + ")");
        }
        return false;
    }

    private List<String> nodePortAddresses(Node value) throws ConfigFileException {
        if (YamlNodes.isEmpty(value)) {
            return List.of();
        }
        if (!(value instanceof SequenceNode sequence)) {
            throw values.error(value, "nodePortAddresses: expected a list of CIDRs and keywords (primary, localhost,"
                    + " all)");
        }
        List<String> addresses = new ArrayList<>();
        for (Node item : sequence.getValue()) {
            String text = values.string(item, "nodePortAddresses").orElse("");
            addresses.add(values.convert(item, "nodePortAddresses", text, t -> {
                NodePortAddresses.validate(t);
                return t;
            }));
        }
        flagValues.put("--nodeport-addresses", String.join(",", addresses));
        return addresses;
    }

    /** A string field converted by {@code parser}; its text becomes {@code flag}'s value from the file. */
    private <T> Optional<T> typed(Node value, String path, String flag, NodeValues.Parser<T> parser)
            throws ConfigFileException {
        Optional<String> text = values.string(value, path);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        T typed = values.convert(value, path, text.get(), parser);
        flagValues.put(flag, text.get());
        return Optional.of(typed);
    }

    /** A number other than zero; its text becomes {@code flag}'s value from the file. */
    private Optional<Double> number(Node value, String path, boolean integer, String flag) throws ConfigFileException {
        Optional<Double> number = values.number(value, path, integer);
        number.ifPresent(n -> flagValues.put(flag, ((ScalarNode) value).getValue()));
        return number;
    }

    /** Records a value's text as {@code flag}'s value from the file; returns the value. */
    private <T> T flag(String flag, NodeValues.Text<T> value) {
        flagValues.put(flag, value.text());
        return value.value();
    }
}
