package dev.pestream.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.models.bundle.ModelBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContractBundleTest {
  @Test
  void theShippedCopyIsTheCommittedBundleAndLoads(@TempDir Path dir) throws Exception {
    Path copy = ContractBundle.materialize(dir.resolve("contract"));
    ModelBundle bundle = ModelBundle.load(copy);
    assertThat(bundle.manifest().contract()).isTrue();
    for (String file : bundle.manifest().files().keySet()) {
      assertThat(Files.mismatch(copy.resolve(file), TestBundles.dir().resolve(file))).as(file).isEqualTo(-1L);
    }
  }
}
