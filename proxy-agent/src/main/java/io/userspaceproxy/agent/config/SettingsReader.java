package io.userspaceproxy.agent.config;

import com.fasterxml.jackson.core.JsonToken;
import io.userspaceproxy.agent.config.YamlTree.Field;
import io.userspaceproxy.agent.config.YamlTree.Mapping;
import io.userspaceproxy.agent.config.YamlTree.Node;
import io.userspaceproxy.agent.config.YamlTree.Scalar;
import io.userspaceproxy.agent.config.YamlTree.Sequence;
import io.userspaceproxy.core.model.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns one parsed {@code KubeProxyConfiguration} into {@link KubeProxyFileSettings}: the fields that apply are
 * converted and validated, known kube-proxy fields that do not apply to userspace mode are collected for one
 * warning, and any other field is an error. Zero values (null, {@code ""}, {@code 0}, {@code 0s}) leave a field
 * unset, because kube-proxy's defaulting replaces them too.
 */
final class SettingsReader {

    private static final Set<String> TOP_LEVEL = Set.of("apiVersion", "kind", "mode", "clientConnection",
            "hostnameOverride", "bindAddress", "healthzBindAddress", "metricsBindAddress", "nodePortAddresses",
            "iptables", "syncPeriod", "minSyncPeriod", "configSyncPeriod", "udpIdleTimeout", "logging");
    private static final Set<String> CLIENT = Set.of("kubeconfig", "qps", "burst");
    private static final Set<String> IPTABLES = Set.of("syncPeriod", "minSyncPeriod");
    private static final Set<String> LOGGING = Set.of("verbosity");

    private final String source;
    private final KubeProxyFileSettings.Builder settings = KubeProxyFileSettings.builder();
    private final List<String> ignored = new ArrayList<>();

    SettingsReader(String source) {
        this.source = source;
    }

    /** The known fields that were set but do not apply, as {@code name (line N)}, in file order. */
    List<String> ignored() {
        return List.copyOf(ignored);
    }

    KubeProxyFileSettings read(Node root) throws ConfigFileException {
        Mapping top = mapping(root, "the document");
        requireHeader(top, "apiVersion", KubeProxyConfigurationFile.API_VERSION);
        requireHeader(top, "kind", KubeProxyConfigurationFile.KIND);
        for (Map.Entry<String, Field> e : top.fields().entrySet()) {
            String name = e.getKey();
            Field field = e.getValue();
            if (accept(name, "", field, TOP_LEVEL, IgnoredFields.TOP_LEVEL)) {
                topLevel(name, field);
            }
        }
        periods(top);
        return settings.build();
    }

    private void topLevel(String name, Field field) throws ConfigFileException {
        switch (name) {
            case "mode" -> {
                Optional<String> mode = string(field, name);
                if (mode.isPresent() && !mode.get().equals(KubeProxyConfigurationFile.USERSPACE)) {
                    throw error(field.line(), "mode: \"" + mode.get() + "\" (expected: \"userspace\"; this proxy "
                            + "runs only in userspace mode)");
                }
                mode.ifPresent(settings::mode);
            }
            case "clientConnection" -> clientConnection(field);
            case "hostnameOverride" -> string(field, name).ifPresent(settings::hostnameOverride);
            case "bindAddress" -> {
                Optional<String> text = string(field, name);
                if (text.isPresent()) {
                    settings.bindAddress(convert(field, name, text.get(), IpAddresses::parse));
                }
            }
            case "healthzBindAddress", "metricsBindAddress" -> {
                Optional<String> text = string(field, name);
                if (text.isPresent()) {
                    InetSocketAddress address = convert(field, name, text.get(), SettingsReader::hostPort);
                    if (name.equals("healthzBindAddress")) {
                        settings.healthzBindAddress(address);
                    } else {
                        settings.metricsBindAddress(address);
                    }
                }
            }
            case "nodePortAddresses" -> settings.nodePortAddresses(nodePortAddresses(field));
            case "configSyncPeriod" -> duration(field, name).ifPresent(settings::configSyncPeriod);
            case "udpIdleTimeout" -> duration(field, name).ifPresent(settings::udpIdleTimeout);
            case "logging" -> logging(field);
            default -> { } // apiVersion and kind were checked; iptables and the sync periods are read by periods()
        }
    }

    private void requireHeader(Mapping top, String name, String expected) throws ConfigFileException {
        Field field = top.fields().get(name);
        if (field == null) {
            throw error(top.line(), name + ": missing (expected: " + expected + ")");
        }
        String value = string(field, name).orElse("");
        if (!value.equals(expected)) {
            throw error(field.line(), name + ": \"" + value + "\" (expected: " + expected + ")");
        }
    }

    private void clientConnection(Field field) throws ConfigFileException {
        if (field.value().isEmpty()) {
            return;
        }
        for (Map.Entry<String, Field> e : mapping(field.value(), "clientConnection").fields().entrySet()) {
            String name = e.getKey();
            Field f = e.getValue();
            if (!accept(name, "clientConnection.", f, CLIENT, IgnoredFields.CLIENT)) {
                continue;
            }
            String path = "clientConnection." + name;
            switch (name) {
                case "kubeconfig" -> {
                    Optional<String> text = string(f, path);
                    if (text.isPresent()) {
                        settings.kubeconfig(convert(f, path, text.get(), Path::of));
                    }
                }
                case "qps" -> number(f, path, false).filter(q -> q != 0).ifPresent(settings::qps);
                default -> number(f, path, true).filter(b -> b != 0).ifPresent(b -> settings.burst(b.intValue()));
            }
        }
    }

    /** {@code syncPeriod}/{@code minSyncPeriod}: top level (newer kube-proxy) or under {@code iptables} (older). */
    private void periods(Mapping top) throws ConfigFileException {
        Mapping iptables = null;
        Field iptablesField = top.fields().get("iptables");
        if (iptablesField != null && !iptablesField.value().isEmpty()) {
            iptables = mapping(iptablesField.value(), "iptables");
            for (Map.Entry<String, Field> e : iptables.fields().entrySet()) {
                accept(e.getKey(), "iptables.", e.getValue(), IPTABLES, IgnoredFields.IPTABLES);
            }
        }
        period(top, iptables, "syncPeriod").ifPresent(settings::syncPeriod);
        period(top, iptables, "minSyncPeriod").ifPresent(settings::minSyncPeriod);
    }

    private Optional<Duration> period(Mapping top, Mapping iptables, String name) throws ConfigFileException {
        Field topField = top.fields().get(name);
        Field nested = iptables == null ? null : iptables.fields().get(name);
        Optional<Duration> value = topField == null ? Optional.empty() : duration(topField, name);
        Optional<Duration> nestedValue = nested == null ? Optional.empty() : duration(nested, "iptables." + name);
        if (value.isPresent() && nestedValue.isPresent() && !value.equals(nestedValue)) {
            throw error(topField.line(), name + ": " + GoDuration.format(value.get()) + " disagrees with iptables."
                    + name + ": " + GoDuration.format(nestedValue.get()) + " on line " + nested.line()
                    + " (expected: one of them, or the same value)");
        }
        return value.isPresent() ? value : nestedValue;
    }

    /** {@code logging.verbosity} is kube-proxy's {@code -v}; the rest of {@code logging} is Logback's business. */
    private void logging(Field field) throws ConfigFileException {
        if (field.value().isEmpty()) {
            return;
        }
        for (Map.Entry<String, Field> e : mapping(field.value(), "logging").fields().entrySet()) {
            if (accept(e.getKey(), "logging.", e.getValue(), LOGGING, IgnoredFields.LOGGING)) {
                number(e.getValue(), "logging.verbosity", true).filter(v -> v != 0)
                        .ifPresent(v -> settings.verbosity(v.intValue()));
            }
        }
    }

    /**
     * True when the field applies; records it, with the reason, when known but ignored and set to something other
     * than its zero value; fails when unknown.
     */
    private boolean accept(String name, String prefix, Field field, Set<String> applies, Map<String, String> ignores)
            throws ConfigFileException {
        if (applies.contains(name)) {
            return true;
        }
        String reason = ignores.get(name);
        if (reason == null) {
            throw error(field.line(), "unknown field \"" + prefix + name + "\"");
        }
        if (!IgnoredFields.isZero(name, field)) {
            ignored.add(prefix + name + " (line " + field.line() + ": " + reason + ")");
        }
        return false;
    }

    private List<String> nodePortAddresses(Field field) throws ConfigFileException {
        if (field.value().isEmpty()) {
            return List.of();
        }
        if (!(field.value() instanceof Sequence sequence)) {
            throw error(field.line(), "nodePortAddresses: expected a list of CIDRs and keywords (primary, localhost,"
                    + " all)");
        }
        List<String> values = new ArrayList<>();
        for (Node item : sequence.items()) {
            Field itemField = new Field(item.line(), item);
            String text = string(itemField, "nodePortAddresses").orElse("");
            convert(itemField, "nodePortAddresses", text, t -> {
                NodePortAddresses.validate(t);
                return t;
            });
            values.add(text);
        }
        return values;
    }

    private Optional<String> string(Field field, String path) throws ConfigFileException {
        Node value = field.value();
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value instanceof Scalar scalar && scalar.token() == JsonToken.VALUE_STRING) {
            return Optional.of(scalar.text());
        }
        throw error(field.line(), path + ": " + describe(value) + " (expected: a string)");
    }

    private Optional<Duration> duration(Field field, String path) throws ConfigFileException {
        if (field.value() instanceof Scalar scalar && !scalar.isEmpty() && scalar.token() != JsonToken.VALUE_STRING) {
            throw error(field.line(), path + ": " + scalar.text() + " (expected: a duration such as 30s or 1m30s)");
        }
        Optional<String> text = string(field, path);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        Duration d = convert(field, path, text.get(), GoDuration::parse);
        if (d.isNegative()) {
            throw error(field.line(), path + ": " + text.get() + " (expected: >= 0)");
        }
        return d.isZero() ? Optional.empty() : Optional.of(d);
    }

    private Optional<Double> number(Field field, String path, boolean integer) throws ConfigFileException {
        Node value = field.value();
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value instanceof Scalar scalar && (scalar.token() == JsonToken.VALUE_NUMBER_INT
                || (!integer && scalar.token() == JsonToken.VALUE_NUMBER_FLOAT))) {
            double d = Double.parseDouble(scalar.text());
            if (d < 0 || (integer && d > Integer.MAX_VALUE)) {
                throw error(field.line(), path + ": " + scalar.text() + " (expected: >= 0"
                        + (integer ? " and <= " + Integer.MAX_VALUE : "") + ")");
            }
            return Optional.of(d);
        }
        throw error(field.line(), path + ": " + describe(value) + " (expected: " + (integer ? "an integer" : "a number") + ")");
    }

    private Mapping mapping(Node node, String what) throws ConfigFileException {
        if (node instanceof Mapping m) {
            return m;
        }
        throw error(node.line(), what + ": " + describe(node) + " (expected: a mapping of fields)");
    }

    /** Applies a parser that reports bad input with {@link IllegalArgumentException}, adding the line and field. */
    private <T> T convert(Field field, String path, String text, Parser<T> parser) throws ConfigFileException {
        try {
            return parser.parse(text);
        } catch (IllegalArgumentException e) { // InvalidPathException is one too
            throw error(field.line(), path + ": " + e.getMessage());
        }
    }

    /** A parser from text, throwing {@link IllegalArgumentException} with its reason. */
    private interface Parser<T> {
        T parse(String text);
    }

    private ConfigFileException error(int line, String problem) {
        return new ConfigFileException(source, line, problem);
    }

    private static String describe(Node node) {
        if (node instanceof Scalar s) {
            return s.token() == JsonToken.VALUE_STRING ? "\"" + s.text() + "\"" : s.text();
        }
        return node instanceof Mapping ? "a mapping" : "a list";
    }

    /** {@code ip:port} with an IP literal (IPv6 in brackets) and a port in 0..65535; never a host name. */
    static InetSocketAddress hostPort(String text) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? "" : text.substring(0, colon);
        String port = colon < 0 ? "" : text.substring(colon + 1);
        if (host.isEmpty() || (host.indexOf(':') >= 0 && !host.startsWith("["))
                || port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("\"" + text + "\" (expected: ip:port, such as 0.0.0.0:10256 or [::]:10256)");
        }
        InetAddress address = IpAddresses.parse(host);
        return new InetSocketAddress(address, Integer.parseInt(port));
    }
}
