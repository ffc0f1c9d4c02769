package dev.pestream.formats;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The format runs inside other people's Flink SQL installations: of ours it may use the record
 * schemas only (tests/ArchitectureTest cannot see this module, see README.md).
 */
class FormatsArchitectureTest {
  @Test
  void theFormatUsesOnlyTheSchemasOfOurs() {
    JavaClasses format = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.pestream.formats");
    assertThat(format.contain(PestreamAvroFormatFactory.class)).as("the rule sees the format's classes").isTrue();
    classes().that().resideInAPackage("dev.pestream.formats..")
        .should().onlyDependOnClassesThat(resideOutsideOfPackage("dev.pestream..")
            .or(resideInAnyPackage("dev.pestream.formats..", "dev.pestream.schemas..")))
        .check(format);
  }
}
