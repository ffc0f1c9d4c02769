package dev.pestream.models.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsHomeTest {
  @TempDir Path tmp;

  private Path bundle(Path dir) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(ModelBundle.MANIFEST_FILE), "{}");
    return dir;
  }

  @Test
  void aNameResolvesToItsFp32BundleAndAPrecisionCanBeNamed() throws Exception {
    ModelsHome home = new ModelsHome(tmp.resolve("home"));
    Path fp32 = bundle(home.dir().resolve("pe-av-small/fp32"));
    Path fp16 = bundle(home.dir().resolve("pe-av-small/fp16"));

    assertThat(home.resolve("pe-av-small")).isEqualTo(fp32);
    assertThat(home.resolve("pe-av-small/fp16")).isEqualTo(fp16);
    assertThat(home.list()).extracting(ModelsHome.Installed::name).containsExactly("pe-av-small/fp16", "pe-av-small/fp32");
  }

  @Test
  void aFolderPathWinsAndUnknownNamesComeBackAsGiven() throws Exception {
    ModelsHome home = new ModelsHome(tmp.resolve("home"));
    bundle(home.dir().resolve("x/fp32"));
    Path folder = bundle(tmp.resolve("x"));     // a folder named like an installed model
    assertThat(home.resolve(folder.toString())).isEqualTo(folder);
    assertThat(home.resolve("nope")).isEqualTo(Path.of("nope"));
    assertThat(home.resolve("./nope")).isEqualTo(Path.of("./nope"));
  }

  @Test
  void theDownloadCacheAndStagingFoldersAreNotListed() throws Exception {
    ModelsHome home = new ModelsHome(tmp.resolve("home"));
    bundle(home.dir().resolve(".hub-cache/fp32"));
    bundle(home.dir().resolve(".pe-av-small.abc123/fp32"));
    assertThat(home.list()).isEmpty();
    assertThat(new ModelsHome(tmp.resolve("missing")).list()).isEmpty();
  }

  @Test
  void homeFromOptionThenEnvironmentThenUserHome() {
    Path explicit = tmp.resolve("a");
    assertThat(ModelsHome.of(explicit, Map.of(ModelsHome.ENV, "/b")).dir()).isEqualTo(explicit);
    assertThat(ModelsHome.of(null, Map.of(ModelsHome.ENV, "/b")).dir()).isEqualTo(Path.of("/b"));
    assertThat(ModelsHome.of(null, Map.of()).dir())
        .isEqualTo(Path.of(System.getProperty("user.home"), ".pestream", "models"));
  }
}
