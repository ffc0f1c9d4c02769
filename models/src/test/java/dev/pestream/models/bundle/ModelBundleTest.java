package dev.pestream.models.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.models.TestBundles;
import dev.pestream.models.Models;
import dev.pestream.models.runtime.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading fails with a message naming the mismatch: manifest vs role contract, files vs sha256, ONNX file vs manifest. */
class ModelBundleTest {
  @TempDir
  Path tmp;

  private Path copy() {
    return TestBundles.copyTo(tmp.resolve("bundle"));
  }

  @Test
  void committedContractBundleLoads() {
    ModelBundle bundle = ModelBundle.load(TestBundles.dir());
    assertThat(bundle.manifest().graphs()).containsOnlyKeys("audio_codec", "frame_encoder", "audio_encoder",
        "video_encoder", "av_encoder", "frame_level_audio", "text_encoder");
    assertThat(bundle.manifest().heads()).containsOnlyKeys("audio", "video", "audio_video", "frame_audio");
    assertThat(bundle.graph("audio_codec").inputs().get(0).shape())
        .containsExactly(Dim.symbolic("batch"), Dim.fixed(1), Dim.symbolic("samples"));
    assertThat(bundle.name()).isEqualTo("pestream/contract-pe-av@1.0.0");
  }

  @Test
  void wrongSha256NamesTheFileAndBothHashes() throws Exception {
    Path dir = copy();
    Files.write(dir.resolve("audio_encoder.onnx"), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
    assertThatThrownBy(() -> ModelBundle.load(dir))
        .isInstanceOf(BundleValidationException.class)
        .hasMessageContaining("file 'audio_encoder.onnx': sha256 is ")
        .hasMessageContaining("the manifest says " + ModelBundle.readManifest(dir).files().get("audio_encoder.onnx"));
  }

  @Test
  void missingFileIsNamed() throws Exception {
    Path dir = copy();
    Files.delete(dir.resolve("tokenizer.json"));
    assertThatThrownBy(() -> ModelBundle.load(dir))
        .isInstanceOf(BundleValidationException.class)
        .hasMessageContaining("file 'tokenizer.json' is listed in the manifest but missing");
  }

  @Test
  void missingManifestAndBadJsonAreNamed() throws Exception {
    Path dir = copy();
    Files.writeString(dir.resolve("manifest.json"), "{ \"format\": ");
    assertThatThrownBy(() -> ModelBundle.load(dir)).hasMessageContaining("cannot parse manifest.json");
    Files.delete(dir.resolve("manifest.json"));
    assertThatThrownBy(() -> ModelBundle.load(dir)).hasMessageContaining("manifest.json is missing");
  }

  @Test
  void manifestThatBreaksTheRoleContractIsNamed() {
    Path dir = copy();
    TestBundles.editManifest(dir, "\"name\": \"audio_mask\",\n          \"dtype\": \"bool\"",
        "\"name\": \"audio_mask\",\n          \"dtype\": \"float32\"");
    assertThatThrownBy(() -> ModelBundle.load(dir))
        .hasMessageContaining("graph 'audio_encoder' input 'audio_mask': dtype float32, role audio_encoder needs bool");

    Path other = TestBundles.copyTo(tmp.resolve("other"));
    TestBundles.editManifest(other, "\"name\": \"waveform\"", "\"name\": \"audio\"");
    assertThatThrownBy(() -> ModelBundle.load(other))
        .hasMessageContaining("role audio_codec needs input 'waveform', the manifest lists [audio]")
        .hasMessageContaining("input 'audio' is not part of role audio_codec");

    Path third = TestBundles.copyTo(tmp.resolve("third"));
    TestBundles.editManifest(third, "\"imageSize\": 224", "\"imageSize\": 336");
    assertThatThrownBy(() -> ModelBundle.load(third))
        .hasMessageContaining("graph 'frame_encoder' input 'pixel_values': dimension 2 is 224, role frame_encoder needs "
            + "imageSize = 336");

    Path fourth = TestBundles.copyTo(tmp.resolve("fourth"));
    TestBundles.editManifest(fourth, "\"output\": \"text_video\"", "\"output\": \"text_vision\"");
    assertThatThrownBy(() -> ModelBundle.load(fourth))
        .hasMessageContaining("head 'video': graph 'text_encoder' has no output 'text_vision'");
  }

  /** The ONNX file of video_encoder stands in for audio_encoder: the manifest is fine, the graph is not. */
  @Test
  void onnxFileThatDoesNotMatchItsManifestIsNamedWhenOpened() throws Exception {
    Path dir = copy();
    Files.copy(dir.resolve("video_encoder.onnx"), dir.resolve("audio_encoder.onnx"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String sha = ModelBundle.sha256(dir.resolve("audio_encoder.onnx"));
    TestBundles.editManifest(dir, ModelBundle.readManifest(dir).files().get("audio_encoder.onnx"), sha);
    RuntimeOptions options = RuntimeOptions.builder().providers(dev.pestream.models.runtime.ExecutionProvider.CPU)
        .graphs("audio_encoder").build();
    assertThatThrownBy(() -> Models.open(dir, options))
        .isInstanceOf(BundleValidationException.class)
        .hasMessageContaining("graph 'audio_encoder' (inputs in the ONNX file: [frame_features, video_mask]): has no input "
            + "'audio_features' that the manifest declares")
        .hasMessageContaining("input 'video_mask' is not declared in the manifest")
        .hasMessageContaining("has no output 'audio_embedding'");
  }
}
