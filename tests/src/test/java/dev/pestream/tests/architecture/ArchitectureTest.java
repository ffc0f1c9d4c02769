package dev.pestream.tests.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.pestream.schemas.archfixture.RecordThatReachesIntoOperators;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module layering as rules on the main classes of every module (docs/architecture.md,
 * "Modules"). A rule names each offending dependency: class, member and source line.
 */
class ArchitectureTest {
  private static final String OURS = "dev.pestream..";
  private static final String SCHEMAS = "dev.pestream.schemas..";
  private static final String MODELS = "dev.pestream.models..";
  private static final String MEDIA = "dev.pestream.media..";
  private static final String CONNECTORS = "dev.pestream.connectors..";
  private static final String OPERATORS = "dev.pestream.operators..";
  private static final String INGEST = "dev.pestream.ingest..";
  private static final String JOBS = "dev.pestream.jobs..";
  private static final String TESTING = "dev.pestream.testing..";
  private static final String CONSOLE = "dev.pestream.console..";
  /** What the operators may use of connectors: blob reading, dead letters, record type information, the PLM client. */
  private static final String[] CONNECTORS_FOR_OPERATORS = {
      "dev.pestream.connectors.blob..", "dev.pestream.connectors.deadletter..",
      "dev.pestream.connectors.flink..", "dev.pestream.connectors.plm.."};

  /** Test jars (the operators' synthetic media, ...) are test code too. */
  private static final ImportOption NO_TEST_JARS = location -> !location.matches(Pattern.compile(".*-tests\\.jar.*"));

  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(NO_TEST_JARS)
        .importPackages("dev.pestream");
  }

  @Test
  void everyModuleIsImported() {
    for (String pkg : List.of("schemas", "models", "media", "connectors", "operators", "ingest", "jobs", "testing", "console")) {
      assertThat(main.containPackage("dev.pestream." + pkg)).as(pkg).isTrue();
    }
    assertThat(main.stream().filter(c -> c.getPackageName().contains(".tests.") || c.getSimpleName().endsWith("Test")))
        .as("no test classes among the main classes").isEmpty();
  }

  @Test
  void schemasModelsAndMediaDependOnNothingOfOurs() {
    check(only(SCHEMAS, SCHEMAS));
    check(only(MODELS, MODELS));
    check(only(MEDIA, MEDIA));
  }

  @Test
  void connectorsDependOnlyOnSchemas() {
    check(only(CONNECTORS, CONNECTORS, SCHEMAS));
  }

  @Test
  void operatorsUseModelsSchemasMediaAndOnlyTheirPartOfConnectors() {
    check(only(OPERATORS, concat(new String[] {OPERATORS, MODELS, SCHEMAS, MEDIA}, CONNECTORS_FOR_OPERATORS)));
  }

  @Test
  void ingestDependsOnConnectorsSchemasAndMedia() {
    check(only(INGEST, INGEST, CONNECTORS, SCHEMAS, MEDIA));
  }

  @Test
  void jobsDependOnTheModulesBelowThem() {
    check(only(JOBS, JOBS, OPERATORS, CONNECTORS, MODELS, SCHEMAS, MEDIA, INGEST, TESTING, CONSOLE));
  }

  @Test
  void theConsoleUsesModelsSchemasTheRuleChecksOfOperatorsAndTheJobsWireFormat() {
    check(only(CONSOLE, CONSOLE, MODELS, SCHEMAS, "dev.pestream.operators.alerts..", "dev.pestream.connectors.registry.."));
  }

  @Test
  void theJobItselfNeedsNeitherIngestNorTestInfrastructure() {
    // What runs on a cluster (the graph, its settings, the run command and the jar's launcher) must
    // not reach the ingest client or the embedded broker: neither is in the job jar.
    check(noClasses().that().resideInAnyPackage("dev.pestream.jobs", "dev.pestream.jobs.config", "dev.pestream.jobs.run..")
        .should().dependOnClassesThat().resideInAnyPackage(INGEST, TESTING, CONSOLE, "dev.pestream.jobs.cli..", "dev.pestream.jobs.demo.."));
  }

  @Test
  void onlyTheDemoUsesTheEmbeddedBroker() {
    check(noClasses().that().resideOutsideOfPackages("dev.pestream.jobs.cli..", "dev.pestream.jobs.demo..", TESTING)
        .should().dependOnClassesThat().resideInAPackage(TESTING));
  }

  @Test
  void testSupportDependsOnConnectorsAndSchemas() {
    check(only(TESTING, TESTING, CONNECTORS, SCHEMAS));
  }

  @Test
  void noPackageCycles() {
    check(slices().matching("dev.pestream.(**)").should().beFreeOfCycles());
  }

  @Test
  void aViolationNamesTheOffendingDependency() {
    JavaClasses fixture = new ClassFileImporter().importClasses(RecordThatReachesIntoOperators.class);
    EvaluationResult result = only(SCHEMAS, SCHEMAS).evaluate(fixture);
    assertThat(result.hasViolation()).isTrue();
    assertThat(String.join("\n", result.getFailureReport().getDetails()))
        .contains(RecordThatReachesIntoOperators.class.getName(), "dev.pestream.operators.decode.FramePolicy",
            "RecordThatReachesIntoOperators.java:");
  }

  /** Classes in {@code layer} may depend on JDK and library classes and on ours only in {@code allowed}. */
  private static ArchRule only(String layer, String... allowed) {
    return classes().that().resideInAPackage(layer)
        .should().onlyDependOnClassesThat(resideOutsideOfPackage(OURS).or(resideInAnyPackage(allowed)))
        .because("of the module layering in docs/architecture.md");
  }

  private static void check(ArchRule rule) {
    rule.check(main);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
