package io.userspaceproxy.agent.watch.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServiceProxySelectorTest {

    private static final String NAME = ServiceProxySelector.SERVICE_PROXY_NAME_LABEL;
    private static final String HEADLESS = ServiceProxySelector.HEADLESS_LABEL;

    static Stream<Arguments> rules() {
        return Stream.of(
                Arguments.of("no flag, no labels", null, null, true),
                Arguments.of("no flag, unrelated label", null, Map.of("app", "web"), true),
                Arguments.of("no flag, proxy name label", null, Map.of(NAME, "cilium"), false),
                Arguments.of("no flag, empty proxy name label still counts", null, Map.of(NAME, ""), false),
                Arguments.of("no flag, headless", null, Map.of(HEADLESS, ""), false),
                Arguments.of("flag, no labels", "userspace-proxy", null, false),
                Arguments.of("flag, unlabelled", "userspace-proxy", Map.of("app", "web"), false),
                Arguments.of("flag, our name", "userspace-proxy", Map.of(NAME, "userspace-proxy"), true),
                Arguments.of("flag, another name", "userspace-proxy", Map.of(NAME, "cilium"), false),
                Arguments.of("flag, our name but headless", "userspace-proxy",
                        Map.of(NAME, "userspace-proxy", HEADLESS, ""), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void accepts_labelRules_asKubeProxy(String scenario, String proxyName, Map<String, String> labels,
            boolean expected) {
        Map<String, String> input = labels == null ? null : new HashMap<>(labels);

        assertThat(ServiceProxySelector.of(proxyName).accepts(input)).isEqualTo(expected);
        assertThat(input).isEqualTo(labels);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void labelSelector_sameRule_asKubernetesSelectorText(String scenario, String proxyName, Map<String, String> labels,
            boolean expected) {
        String selector = ServiceProxySelector.of(proxyName).labelSelector();

        assertThat(matches(selector, labels == null ? Map.of() : labels)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void labelSelector_withAndWithoutName_kubeProxySpelling() {
        assertThat(ServiceProxySelector.of(null).labelSelector())
                .isEqualTo("!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name");
        assertThat(ServiceProxySelector.of("").labelSelector()).isEqualTo(ServiceProxySelector.of(null).labelSelector());
        assertThat(ServiceProxySelector.of("userspace-proxy").labelSelector())
                .isEqualTo("!service.kubernetes.io/headless,service.kubernetes.io/service-proxy-name=userspace-proxy");
    }

    /** Evaluates the two requirement forms the selector uses, {@code !key} and {@code key=value}, as the API does. */
    private static boolean matches(String selector, Map<String, String> labels) {
        for (String requirement : selector.split(",")) {
            if (requirement.startsWith("!")) {
                if (labels.containsKey(requirement.substring(1))) {
                    return false;
                }
            } else {
                String[] kv = requirement.split("=", 2);
                if (!kv[1].equals(labels.get(kv[0]))) {
                    return false;
                }
            }
        }
        return true;
    }
}
