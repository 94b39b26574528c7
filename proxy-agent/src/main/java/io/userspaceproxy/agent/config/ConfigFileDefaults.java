package io.userspaceproxy.agent.config;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code --config} file's values as picocli's defaults, which is how kube-proxy's precedence falls out of
 * parsing alone: picocli asks for a default only for a flag the command line did not give, and falls back to the
 * option's own {@code defaultValue} where the file has none. The values are the file's own text (a duration as
 * {@code 1m30s}, never re-rendered), already validated with the file's line numbers, so picocli converts and
 * {@link AgentConfig#from} validates them exactly as it does the flags.
 */
final class ConfigFileDefaults implements IDefaultValueProvider {

    private final Map<String, String> values;

    /** @param values the file's values by the long name of their flag, such as {@code --udp-timeout} */
    ConfigFileDefaults(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    @Override
    public @Nullable String defaultValue(ArgSpec argSpec) {
        return argSpec instanceof OptionSpec option ? values.get(option.longestName()) : null;
    }
}
