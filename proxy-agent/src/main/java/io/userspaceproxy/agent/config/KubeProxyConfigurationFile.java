package io.userspaceproxy.agent.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.userspaceproxy.core.model.IpAddresses;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * kube-proxy's configuration file ({@code --config}): a {@code kubeproxy.config.k8s.io/v1alpha1}
 * {@code KubeProxyConfiguration} in YAML, so a node's existing kube-proxy file (or kubeadm's ConfigMap) can be
 * used as is.
 *
 * <p>Reading is strict where it matters and lenient where kube-proxy files differ only by mode: the fields that
 * apply to a userspace proxy are validated and returned; known kube-proxy fields that do not apply (ipvs,
 * nftables, conntrack, clusterCIDR, featureGates, ...; see {@link IgnoredFields}) are reported in one WARN line,
 * each with its reason, when set to something other than their zero value; any other field is
 * an error naming it and its line, as is a mode other than {@code userspace}. The sync periods are read from the
 * top level (newer kube-proxy) or from {@code iptables} (older); set in both, they must agree.
 *
 * <p>Writing ({@code --write-config-to}) produces a file this reader and kube-proxy's schema both accept, with
 * durations in Go's format and the sync periods under {@code iptables}, where every kube-proxy release reads them.
 */
public final class KubeProxyConfigurationFile {

    public static final String API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
    public static final String KIND = "KubeProxyConfiguration";
    static final String USERSPACE = "userspace";

    private static final Logger log = LoggerFactory.getLogger(KubeProxyConfigurationFile.class);
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();

    private KubeProxyConfigurationFile() {
    }

    /**
     * Reads and validates {@code file}.
     *
     * @throws ConfigFileException {@code file:line: problem} for a bad field, or naming the file when it cannot
     *     be read at all
     */
    public static KubeProxyFileSettings read(Path file) throws ConfigFileException {
        return parse(readString(file), file.toString());
    }

    private static String readString(Path file) throws ConfigFileException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigFileException(file.toString(), "cannot read: " + e, e);
        }
    }

    /**
     * Reads and validates YAML text; {@code source} names it in errors and in the warning (a path, or for
     * example {@code configmap kube-system/kube-proxy}).
     */
    public static KubeProxyFileSettings parse(String yaml, String source) throws ConfigFileException {
        return reader(yaml, source).settings();
    }

    /**
     * Reads and validates {@code file} as defaults for the flags its fields stand for, which picocli applies to
     * every flag not given on the command line.
     *
     * @throws ConfigFileException as {@link #read}
     */
    static CommandLine.IDefaultValueProvider defaults(Path file) throws ConfigFileException {
        return new ConfigFileDefaults(reader(readString(file), file.toString()).flagValues());
    }

    /** A reader that has read {@code yaml} and logged, once, the fields it ignores. */
    private static SettingsReader reader(String yaml, String source) throws ConfigFileException {
        SettingsReader reader = new SettingsReader(source);
        reader.read(YamlNodes.compose(yaml, source));
        List<String> ignored = reader.ignored();
        if (!ignored.isEmpty()) {
            log.warn("{}: ignoring KubeProxyConfiguration fields that do not apply to userspace mode: {}",
                    source, String.join("; ", ignored));
        }
        return reader;
    }

    /** Writes {@code settings} to {@code file} as a KubeProxyConfiguration, replacing the file if it exists. */
    public static void write(KubeProxyFileSettings settings, Path file) throws IOException {
        Files.writeString(file, render(settings), StandardCharsets.UTF_8);
    }

    /** The YAML {@link #write} writes: set fields only, in kube-proxy's alphabetical order, mode always userspace. */
    public static String render(KubeProxyFileSettings settings) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("apiVersion", API_VERSION);
        root.put("kind", KIND);
        settings.bindAddress().ifPresent(a -> root.put("bindAddress", a.getHostAddress()));
        Map<String, Object> client = new LinkedHashMap<>();
        settings.burst().ifPresent(b -> client.put("burst", b));
        settings.kubeconfig().ifPresent(k -> client.put("kubeconfig", k.toString()));
        settings.qps().ifPresent(q -> client.put("qps", number(settings.qps())));
        putIfNotEmpty(root, "clientConnection", client);
        settings.configSyncPeriod().ifPresent(d -> root.put("configSyncPeriod", GoDuration.format(d)));
        settings.healthzBindAddress().ifPresent(a -> root.put("healthzBindAddress", IpAddresses.format(a)));
        settings.hostnameOverride().ifPresent(h -> root.put("hostnameOverride", h));
        Map<String, Object> iptables = new LinkedHashMap<>();
        settings.minSyncPeriod().ifPresent(d -> iptables.put("minSyncPeriod", GoDuration.format(d)));
        settings.syncPeriod().ifPresent(d -> iptables.put("syncPeriod", GoDuration.format(d)));
        putIfNotEmpty(root, "iptables", iptables);
        settings.verbosity().ifPresent(v -> root.put("logging", Map.of("verbosity", v)));
        settings.metricsBindAddress().ifPresent(a -> root.put("metricsBindAddress", IpAddresses.format(a)));
        root.put("mode", USERSPACE);
        if (!settings.nodePortAddresses().isEmpty()) {
            root.put("nodePortAddresses", settings.nodePortAddresses());
        }
        settings.udpIdleTimeout().ifPresent(d -> root.put("udpIdleTimeout", GoDuration.format(d)));
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("maps of strings and numbers always serialize", e);
        }
    }

    private static void putIfNotEmpty(Map<String, Object> parent, String name, Map<String, Object> child) {
        if (!child.isEmpty()) {
            parent.put(name, child);
        }
    }

    /** Whole numbers without a fraction ({@code 5}, as kube-proxy writes them), others as they are. */
    private static Object number(OptionalDouble value) {
        double d = value.getAsDouble();
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
    }
}
