package io.userspaceproxy.agent;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What each room of the agent may use of the others. The leaves ({@code state}, {@code http}, {@code net},
 * {@code process}) use none; the two health rooms only the leaves they answer with; so each can be read, and
 * tested, on its own. The two sources ({@code watch.api}, {@code watch.manifests}) share only the conversion
 * ({@code watch.convert}), which knows neither. {@link Fabric8BoundaryTest} keeps the Kubernetes client's types in
 * {@code watch}.
 */
class AgentRoomsTest {

    private static final String AGENT = "io.userspaceproxy.agent";
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(AGENT);

    @ParameterizedTest(name = "{0} uses only [{1}] of the agent")
    @CsvSource(delimiter = ';', value = {
            "state; ",
            "http; ",
            "net; ",
            "process; ",
            "health; http",
            "healthcheck; http state",
            "watch.convert; state config",
            "watch.manifests; watch.convert state sync",
            "watch.api; watch.convert state sync config",
    })
    void room_usesOnlyTheRoomsItNeeds(String room, String allowed) {
        String[] packages = packages(room + (allowed == null ? "" : " " + allowed));
        noClasses().that().resideInAPackage(AGENT + "." + room + "..")
                .should().dependOnClassesThat(resideInAPackage(AGENT + "..").and(not(resideInAnyPackage(packages))))
                .check(CLASSES);
    }

    /** One HTTP stack, Netty's codec ({@code http.AgentHttpServer}): the JDK's server serves nothing, demo included. */
    @Test
    void http_onNettysCodecOnly() {
        noClasses().should().dependOnClassesThat().resideInAPackage("com.sun.net.httpserver..").check(CLASSES);
    }

    private static String[] packages(String rooms) {
        return Arrays.stream(rooms.trim().split("\\s+")).map(r -> AGENT + "." + r + "..")
                .toArray(String[]::new);
    }
}
