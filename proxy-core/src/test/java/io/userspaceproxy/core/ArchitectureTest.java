package io.userspaceproxy.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The data plane's dependency direction: handover → listen → relay → table → balance → metrics → model, each
 * package using only those after it, and no Kubernetes client or agent types anywhere in core.
 */
@AnalyzeClasses(packages = "io.userspaceproxy.core", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule layersDependDownwardOnly = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer("handover").definedBy("io.userspaceproxy.core.handover..")
            .layer("listen").definedBy("io.userspaceproxy.core.listen..")
            .layer("relay").definedBy("io.userspaceproxy.core.relay..")
            .layer("table").definedBy("io.userspaceproxy.core.table..")
            .layer("balance").definedBy("io.userspaceproxy.core.balance..")
            .layer("metrics").definedBy("io.userspaceproxy.core.metrics..")
            .layer("model").definedBy("io.userspaceproxy.core.model..")
            .whereLayer("handover").mayNotBeAccessedByAnyLayer()
            .whereLayer("listen").mayOnlyBeAccessedByLayers("handover")
            .whereLayer("relay").mayOnlyBeAccessedByLayers("listen")
            .whereLayer("table").mayOnlyBeAccessedByLayers("listen", "relay")
            .whereLayer("balance").mayOnlyBeAccessedByLayers("listen", "relay", "table")
            .whereLayer("metrics").mayOnlyBeAccessedByLayers("listen", "relay", "table", "balance")
            .whereLayer("model").mayOnlyBeAccessedByLayers("handover", "listen", "relay", "table", "balance",
                    "metrics");

    @ArchTest
    static final ArchRule relaysOfDifferentProtocolsAreIndependent = slices()
            .matching("io.userspaceproxy.core.relay.(*)..")
            .should().notDependOnEachOther();

    @ArchTest
    static final ArchRule noKubernetesOrAgentTypes = noClasses()
            .should().dependOnClassesThat()
            .resideInAnyPackage("io.fabric8..", "io.kubernetes..", "io.userspaceproxy.agent..");
}
