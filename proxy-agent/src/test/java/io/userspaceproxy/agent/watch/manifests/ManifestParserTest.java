package io.userspaceproxy.agent.watch.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.userspaceproxy.agent.state.ObjectRef;
import io.userspaceproxy.agent.watch.convert.InvalidResourceException;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestParserTest {

    private static final String ECHO = """
            apiVersion: v1
            kind: Service
            metadata: {name: echo, namespace: demo}
            spec:
              type: NodePort
              clusterIP: 127.0.10.1
              ports: [{name: http, port: 8080, nodePort: 30080}]
            """;

    private static final String ECHO_SLICE = """
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: echo-1, namespace: demo, labels: {kubernetes.io/service-name: echo}}
            addressType: IPv4
            ports: [{name: http, port: 18081}]
            endpoints: [{addresses: [127.0.0.1]}]
            """;

    @Test
    void parse_severalDocuments_readsEachObject() {
        ManifestContent c = ManifestParser.parse("# demo\n---\n" + ECHO + "---\n" + ECHO_SLICE + "---\n");

        assertThat(c.services()).containsOnlyKeys(ObjectRef.of("demo", "echo"));
        assertThat(c.slices()).containsOnlyKeys(ObjectRef.of("demo", "echo-1"));
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void parse_kindList_readsItems() {
        ManifestContent c = ManifestParser.parse("""
                apiVersion: v1
                kind: List
                items:
                - apiVersion: v1
                  kind: Service
                  metadata: {name: a}
                  spec: {clusterIP: 10.0.0.1, ports: [{port: 80}]}
                - apiVersion: v1
                  kind: Endpoints
                  metadata: {name: a}
                  subsets: [{addresses: [{ip: 10.1.0.1}], ports: [{port: 8080}]}]
                """);

        assertThat(c.services()).containsOnlyKeys(ObjectRef.of("default", "a"));
        assertThat(c.slices()).containsOnlyKeys(ObjectRef.of("default", "a/subsets[0]/IPv4"));
    }

    @Test
    void parse_json_readsObject() {
        ManifestContent c = ManifestParser.parse("{\"apiVersion\": \"v1\", \"kind\": \"Service\","
                + " \"metadata\": {\"name\": \"j\"}, \"spec\": {\"clusterIP\": \"10.0.0.2\", \"ports\": [{\"port\": 80}]}}");

        assertThat(c.services()).containsOnlyKeys(ObjectRef.of("default", "j"));
    }

    @Test
    void parse_emptyOrCommentsOnly_definesNothing() {
        assertThat(ManifestParser.parse("").services()).isEmpty();
        assertThat(ManifestParser.parse("# nothing here yet\n").services()).isEmpty();
    }

    @Test
    void parse_otherKinds_areIgnoredWithWarning() {
        ManifestContent c = ManifestParser.parse(ECHO + "---\napiVersion: v1\nkind: ConfigMap\n"
                + "metadata: {name: cfg, namespace: demo}\ndata: {a: b}\n");

        assertThat(c.services()).hasSize(1);
        assertThat(c.warnings()).containsExactly("ignored v1 ConfigMap demo/cfg (only v1 Service,"
                + " discovery.k8s.io/v1 EndpointSlice and v1 Endpoints are read)");
    }

    @Test
    void parse_documentWithoutKind_isRejected() {
        assertThatThrownBy(() -> ManifestParser.parse("metadata: {name: a}\nspec: {clusterIP: 10.0.0.1}\n"))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage("a document has no apiVersion and kind, so it is not a Kubernetes object");
    }

    @Test
    void parse_yamlSyntaxError_isRejectedWithPosition() {
        assertThatThrownBy(() -> ManifestParser.parse("apiVersion: v1\nkind: Service\nmetadata: {name: [\n"))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessageStartingWith("not valid YAML or JSON: ")
                .hasMessageContaining("line 4, column 1");
    }

    @Test
    void parse_wrongFieldType_isRejectedWithFieldPath() {
        assertThatThrownBy(() -> ManifestParser.parse(ECHO.replace("port: 8080", "port: eighty")))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessageStartingWith("not a valid Kubernetes object at spec.ports[0].port: ")
                .hasMessageContaining("\"eighty\"");
    }

    @Test
    void parse_duplicateNodePortAcrossServices_isRejected() {
        String other = ECHO.replace("name: echo", "name: other").replace("127.0.10.1", "127.0.10.9");

        assertThatThrownBy(() -> ManifestParser.parse(ECHO + "---\n" + other))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage("Service demo/other port \"http\": nodePort: 30080/TCP (expected: unique per protocol"
                        + " in the file, already used by Service demo/echo port \"http\")");
    }

    @Test
    void parse_sameObjectTwice_isRejected() {
        assertThatThrownBy(() -> ManifestParser.parse(ECHO + "---\n" + ECHO))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage("Service demo/echo is defined more than once in the file");
    }

    @Test
    void parse_oneBadObject_rejectsTheFileNamingEveryProblem() {
        String bad = ECHO_SLICE.replace("127.0.0.1", "127.0.0.256").replace("port: 18081", "port: 0");

        assertThatThrownBy(() -> ManifestParser.parse(ECHO + "---\n" + bad))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessage("EndpointSlice demo/echo-1: ports[0].port: 0 (expected: 1..65535); "
                        + "EndpointSlice demo/echo-1: endpoints[0].addresses[0]: \"127.0.0.256\""
                        + " (expected: an IP address)");
    }

    static Stream<Named<String>> hostile() {
        return HostileManifests.corpus().entrySet().stream().map(e -> Named.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest
    @MethodSource("hostile")
    @Timeout(10)
    void parse_hostileText_isRejectedWithAReason(String text) {
        assertThatThrownBy(() -> ManifestParser.parse(text))
                .isExactlyInstanceOf(InvalidResourceException.class)
                .hasMessageNotContaining("StackOverflowError");
    }

    @Test
    void parse_recursiveAlias_namesTheAlias() {
        assertThatThrownBy(() -> ManifestParser.parse(HostileManifests.corpus().get("recursive-alias")))
                .hasMessage("a recursive YAML alias: *a refers to a collection that contains it");
    }

    @Test
    void parse_deepNesting_namesTheLimit() {
        Map<String, String> c = HostileManifests.corpus();
        assertThatThrownBy(() -> ManifestParser.parse(c.get("deep-flow-sequence")))
                .hasMessage("nested deeper than " + ManifestDocuments.MAX_DEPTH + " levels");
        assertThatThrownBy(() -> ManifestParser.parse(c.get("deep-json")))
                .hasMessageContaining("nesting depth");
    }

    @Test
    void parse_truncatedPorts_namesTheMissingPort() {
        assertThatThrownBy(() -> ManifestParser.parse(HostileManifests.corpus().get("truncated-ports")))
                .hasMessage("Service demo/truncated: spec.ports[0]: missing (expected: a port)");
    }

    @Test
    void parse_aliasesWithinLimits_areExpanded() {
        ManifestContent c = ManifestParser.parse("""
                apiVersion: v1
                kind: Service
                metadata: {name: a, labels: &l {app: a}, annotations: *l}
                spec: {clusterIP: 10.0.0.1, ports: [&p {name: http, port: 80}]}
                """);

        assertThat(c.services()).containsOnlyKeys(ObjectRef.of("default", "a"));
    }
}
