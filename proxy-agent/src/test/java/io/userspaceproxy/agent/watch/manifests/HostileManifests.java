package io.userspaceproxy.agent.watch.manifests;

import java.util.LinkedHashMap;
import java.util.Map;

/** Manifest texts that once stopped the local dev proxy (issue 11), by name; each must be rejected on its own. */
final class HostileManifests {

    private HostileManifests() {
    }

    static Map<String, String> corpus() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("recursive-alias", "a: &a {b: *a}\n");
        c.put("recursive-alias-in-service", """
                apiVersion: v1
                kind: Service
                metadata: &m {name: x, labels: {self: *m}}
                spec: {clusterIP: 127.0.20.1, ports: [{port: 80}]}
                """);
        c.put("recursive-sequence", "&a [*a]\n");
        c.put("deep-flow-sequence", "a: " + "[".repeat(20_000) + "]".repeat(20_000) + "\n");
        c.put("deep-flow-unclosed", "a: " + "[".repeat(20_000) + "\n");
        c.put("deep-flow-mapping", "a: " + "{b: ".repeat(20_000) + "1" + "}".repeat(20_000) + "\n");
        c.put("deep-block", deepBlock(2_000));
        c.put("deep-json", "{\"a\": " + "[".repeat(20_000) + "]".repeat(20_000) + "}");
        c.put("deep-json-array", "[".repeat(20_000) + "]".repeat(20_000));
        c.put("billion-laughs", billionLaughs());
        c.put("many-aliases", "a: &a [1]\nb: [" + "*a, ".repeat(500) + "*a]\n");
        c.put("truncated-ports", """
                apiVersion: v1
                kind: Service
                metadata: {name: truncated, namespace: demo}
                spec:
                  clusterIP: 127.0.20.2
                  ports:
                  - \
                """);
        c.put("null-slice-items", """
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: s, labels: {kubernetes.io/service-name: x}}
                addressType: IPv4
                ports: [null]
                endpoints: [null, {addresses: [null]}]
                """);
        c.put("null-endpoints-subsets", """
                apiVersion: v1
                kind: Endpoints
                metadata: {name: e}
                subsets: [null, {addresses: [null], notReadyAddresses: [{ip: null}], ports: [null]}]
                """);
        c.put("null-list-items", "apiVersion: v1\nkind: List\nitems: [null, 1, [2]]\n");
        c.put("scalar-document", "42\n");
        c.put("sequence-document", "- a\n- b\n");
        c.put("unknown-anchor", "a: *nothing\n");
        c.put("binary", "\u0000\u0001\u0002\ufffe\uffff");
        c.put("tab-indent", "a:\n\t- b\n");
        c.put("huge-int", "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: "
                + "9".repeat(5_000) + "}]}\n");
        c.put("wrong-types", "apiVersion: v1\nkind: Service\nmetadata: [1]\nspec: 7\n");
        return c;
    }

    private static String deepBlock(int levels) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < levels; i++) {
            sb.append(" ".repeat(i)).append("a:\n");
        }
        return sb.append(" ".repeat(levels)).append("b: 1\n").toString();
    }

    private static String billionLaughs() {
        StringBuilder sb = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) {
            sb.append('a').append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                sb.append(j == 0 ? "" : ", ").append("*a").append(i - 1);
            }
            sb.append("]\n");
        }
        return sb.toString();
    }
}
