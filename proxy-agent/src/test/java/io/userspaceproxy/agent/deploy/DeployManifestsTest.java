package io.userspaceproxy.agent.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.userspaceproxy.agent.config.HandoverSocket;
import io.userspaceproxy.agent.config.VipSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The manifests in {@code deploy/} parse, and grant and request exactly what the proxy needs. */
class DeployManifestsTest {

    /** The agent's drain timeout must fit in the grace period; this is the longest default we allow for. */
    private static final long DRAIN_TIMEOUT_SECONDS = 30;

    private static final Path DEPLOY = Path.of(System.getProperty("basedir", ".")).resolve("../deploy").normalize();
    private static Map<Class<?>, HasMetadata> byKind;

    @BeforeAll
    static void load() throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        try (Stream<Path> files = Files.list(DEPLOY)) {
            List<Path> manifests = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
            assertThat(manifests).extracting(p -> p.getFileName().toString()).containsExactly(
                    "clusterrole.yaml", "clusterrolebinding.yaml", "daemonset.yaml", "serviceaccount.yaml");
            byKind = new HashMap<>();
            for (Path manifest : manifests) {
                try (InputStream in = Files.newInputStream(manifest)) {
                    HasMetadata resource = serialization.unmarshal(in);
                    assertThat(byKind.put(resource.getClass(), resource)).as("one %s only", resource.getKind()).isNull();
                }
            }
        }
    }

    @Test
    void clusterRole_grantsExactlyReadOnServicesNodesAndEndpointSlices_andCreatePatchOnEvents() {
        ClusterRole role = (ClusterRole) byKind.get(ClusterRole.class);
        Set<String> grants = new HashSet<>();
        for (PolicyRule rule : role.getRules()) {
            assertThat(rule.getResourceNames()).isNullOrEmpty();
            assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        assertThat(grants.add(group + "/" + resource + ":" + verb)).as("granted twice").isTrue();
                    }
                }
            }
        }

        assertThat(grants).containsExactlyInAnyOrder(
                "/services:get", "/services:list", "/services:watch",
                "/nodes:get", "/nodes:list", "/nodes:watch",
                "discovery.k8s.io/endpointslices:get", "discovery.k8s.io/endpointslices:list",
                "discovery.k8s.io/endpointslices:watch",
                "events.k8s.io/events:create", "events.k8s.io/events:patch");
        assertThat(role.getAggregationRule()).isNull();
    }

    @Test
    void binding_bindsTheRoleToTheDaemonSetsServiceAccount() {
        ClusterRole role = (ClusterRole) byKind.get(ClusterRole.class);
        ClusterRoleBinding binding = (ClusterRoleBinding) byKind.get(ClusterRoleBinding.class);
        ServiceAccount account = (ServiceAccount) byKind.get(ServiceAccount.class);
        DaemonSet daemonSet = (DaemonSet) byKind.get(DaemonSet.class);

        assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
                .containsExactly(tuple("ServiceAccount",
                        account.getMetadata().getName(), account.getMetadata().getNamespace()));
        assertThat(daemonSet.getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(account.getMetadata().getName());
        assertThat(daemonSet.getMetadata().getNamespace()).isEqualTo("kube-system")
                .isEqualTo(account.getMetadata().getNamespace());
    }

    @Test
    void daemonSet_probesHitLivezAndHealthzOnTheHealthPort() {
        Container container = container();

        assertProbe(container.getLivenessProbe(), "/livez");
        assertProbe(container.getReadinessProbe(), "/healthz");
    }

    @Test
    void daemonSet_capabilitiesExactlyNetAdminAndNetBindService_notPrivileged() {
        SecurityContext security = container().getSecurityContext();

        assertThat(security.getCapabilities().getAdd()).containsExactlyInAnyOrder("NET_ADMIN", "NET_BIND_SERVICE");
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getRunAsUser()).isZero();
        PodSpec pod = podSpec();
        assertThat(pod.getSecurityContext() == null || pod.getSecurityContext().getRunAsUser() == null
                || pod.getSecurityContext().getRunAsUser() == 0).isTrue();
    }

    @Test
    void daemonSet_runsOnEveryNodeInTheHostNetworkAsTheNode() {
        PodSpec pod = podSpec();
        Container container = container();

        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
        assertThat(pod.getTolerations()).anySatisfy(t -> {
            assertThat(t.getOperator()).isEqualTo("Exists");
            assertThat(t.getKey()).isNull();
            assertThat(t.getEffect()).isNull();
        });
        assertThat(container.getArgs()).contains("--proxy-mode=userspace", "--hostname-override=$(NODE_NAME)");
        EnvVar nodeName = container.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst().orElseThrow();
        assertThat(nodeName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(DRAIN_TIMEOUT_SECONDS);
        DaemonSet daemonSet = (DaemonSet) byKind.get(DaemonSet.class);
        assertThat(daemonSet.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(daemonSet.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void daemonSet_vipStateFile_onAWritableHostDirectory() {
        Container container = container();
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(Path.of(VipSettings.DEFAULT_STATE_FILE).getParent().toString()))
                .findFirst().orElseThrow();
        Volume volume = podSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                .findFirst().orElseThrow();

        assertThat(mount.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(volume.getHostPath().getPath()).isEqualTo(mount.getMountPath());
        assertThat(volume.getHostPath().getType()).isEqualTo("DirectoryOrCreate");
        assertThat(container.getArgs()).noneMatch(a -> a.startsWith("--vip-state-file") || a.startsWith("--manifests"));
    }

    @Test
    void daemonSet_upgrade_surgesWithTheHandoverDirectoryOnTheHostAndNoHostPorts() {
        DaemonSet daemonSet = (DaemonSet) byKind.get(DaemonSet.class);
        var rolling = daemonSet.getSpec().getUpdateStrategy().getRollingUpdate();
        Container container = container();
        VolumeMount mount = container.getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals(HandoverSocket.RUN_DIR)).findFirst().orElseThrow();
        Volume volume = podSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                .findFirst().orElseThrow();

        assertThat(daemonSet.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(rolling.getMaxSurge().getIntVal()).as("the new pod starts beside the old one").isEqualTo(1);
        assertThat(rolling.getMaxUnavailable().getIntVal()).as("the old pod runs until then").isZero();
        assertThat(volume.getHostPath().getPath()).as("both pods meet there").isEqualTo(HandoverSocket.RUN_DIR);
        assertThat(container.getPorts()).as("host ports would keep the surge pod off the node").isEmpty();
        assertThat(container.getArgs()).noneMatch(a -> a.startsWith("--handover-socket")
                || a.startsWith("--metrics-bind-address"));
    }

    @Test
    void daemonSet_requestsAndLimitsResources() {
        Map<String, Quantity> requests = container().getResources().getRequests();
        Map<String, Quantity> limits = container().getResources().getLimits();

        assertThat(requests).containsKeys("cpu", "memory");
        assertThat(limits).containsKey("memory");
        assertThat(Quantity.getAmountInBytes(limits.get("memory")))
                .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("memory")));
    }

    @Test
    void dockerfile_newestLtsJreWithIproute2RunningTheAgentJar() throws IOException {
        List<String> lines = dockerfileLines();

        assertThat(lines).contains("FROM eclipse-temurin:25-jre",
                "COPY proxy-agent/target/proxy-agent.jar /opt/userspace-proxy/proxy-agent.jar",
                "ENTRYPOINT [\"java\", \"-jar\", \"/opt/userspace-proxy/proxy-agent.jar\"]");
        assertThat(lines.stream().filter(l -> l.contains("apt-get install")).collect(Collectors.joining()))
                .contains("iproute2");
    }

    @Test
    void dockerfile_jvmFlags_oneLineWithTheMeasuredChoices() throws IOException {
        // One line, in exactly this form: benchmarks/e2e/run.sh reads it to run the agent as the image does.
        String prefix = "ENV JAVA_TOOL_OPTIONS=\"";
        List<String> env = dockerfileLines().stream().filter(l -> l.contains("JAVA_TOOL_OPTIONS")).toList();

        assertThat(env).singleElement().satisfies(l -> assertThat(l).startsWith(prefix).endsWith("\""));
        String flags = env.get(0).substring(prefix.length(), env.get(0).length() - 1);
        assertThat(flags.split(" ")).containsExactlyInAnyOrder(
                "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED",
                "-XX:MaxRAMPercentage=50", "-Xms64m", "-XX:MaxDirectMemorySize=128m", "-XX:+ExitOnOutOfMemoryError");
    }

    private static List<String> dockerfileLines() throws IOException {
        return Files.readAllLines(DEPLOY.resolve("Dockerfile")).stream()
                .map(String::strip).filter(l -> !l.startsWith("#")).toList();
    }

    private static void assertProbe(Probe probe, String path) {
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getIntVal()).isEqualTo(10256);
    }

    private static PodSpec podSpec() {
        return ((DaemonSet) byKind.get(DaemonSet.class)).getSpec().getTemplate().getSpec();
    }

    private static Container container() {
        List<Container> containers = podSpec().getContainers();
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }
}
