package io.userspaceproxy.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * fabric8's model types stay in {@code agent.watch}: state records and the sync code must be usable (and testable)
 * without a Kubernetes client, and an informer object must never leak past the conversion that validates it.
 */
class Fabric8BoundaryTest {

    private static final JavaClasses AGENT = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.userspaceproxy.agent");

    @Test
    void fabric8Model_isUsedOnlyInWatch() {
        noClasses().that().resideOutsideOfPackage("io.userspaceproxy.agent.watch..")
                .should().dependOnClassesThat().resideInAPackage("io.fabric8.kubernetes.api.model..")
                .check(AGENT);
    }

    @Test
    void stateRecords_dependOnNoOtherAgentPackage() {
        noClasses().that().resideInAPackage("io.userspaceproxy.agent.state..")
                .should().dependOnClassesThat().resideInAnyPackage("io.userspaceproxy.agent.sync..",
                        "io.userspaceproxy.agent.watch..", "io.fabric8..")
                .check(AGENT);
    }

    @Test
    void sync_doesNotDependOnSources() {
        noClasses().that().resideInAPackage("io.userspaceproxy.agent.sync..")
                .should().dependOnClassesThat().resideInAnyPackage("io.userspaceproxy.agent.watch..", "io.fabric8..")
                .check(AGENT);
    }
}
