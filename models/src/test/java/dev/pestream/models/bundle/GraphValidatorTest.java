package dev.pestream.models.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.pestream.models.TestBundles;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real ONNX graph (the contract audio_encoder) against manifest entries with one thing wrong each. */
class GraphValidatorTest {
  private static OrtSession session;
  private static GraphSpec spec;

  @BeforeAll
  static void open() throws Exception {
    ModelBundle bundle = ModelBundle.load(TestBundles.dir());
    spec = bundle.graph("audio_encoder");
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      session = dev.pestream.models.runtime.OrtRuntime.environment().createSession(bundle.graphFile("audio_encoder").toString(), so);
    }
  }

  @AfterAll
  static void close() throws Exception {
    session.close();
  }

  private static List<String> check(TensorSpec replacement) throws Exception {
    List<TensorSpec> inputs = new ArrayList<>(spec.inputs());
    inputs.replaceAll(t -> t.name().equals(replacement.name()) || (replacement.name().equals("features")
        && t.name().equals("audio_features")) ? replacement : t);
    return GraphValidator.check("audio_encoder", new GraphSpec(spec.file(), inputs, spec.outputs()),
        session.getInputInfo(), session.getOutputInfo());
  }

  @Test
  void matchingSpecHasNoProblems() throws Exception {
    assertThat(GraphValidator.check("audio_encoder", spec, session.getInputInfo(), session.getOutputInfo())).isEmpty();
  }

  @Test
  void wrongName() throws Exception {
    assertThat(check(new TensorSpec("features", TensorType.FLOAT32,
        List.of(Dim.symbolic("batch"), Dim.symbolic("frames"), Dim.fixed(128)))))
        .anyMatch(p -> p.contains("has no input 'features' that the manifest declares"))
        .anyMatch(p -> p.contains("input 'audio_features' is not declared in the manifest"));
  }

  @Test
  void wrongDtype() throws Exception {
    assertThat(check(new TensorSpec("audio_mask", TensorType.INT64, List.of(Dim.symbolic("batch"), Dim.symbolic("frames")))))
        .containsExactly("graph 'audio_encoder' input 'audio_mask': the ONNX file has dtype bool, the manifest says int64");
  }

  @Test
  void wrongRank() throws Exception {
    assertThat(check(new TensorSpec("audio_mask", TensorType.BOOL, List.of(Dim.symbolic("batch")))))
        .singleElement().asString().contains("input 'audio_mask': the ONNX file has rank 2 [-1, -1], the manifest says rank 1");
  }

  @Test
  void wrongFixedDimension() throws Exception {
    assertThat(check(new TensorSpec("audio_features", TensorType.FLOAT32,
        List.of(Dim.symbolic("batch"), Dim.symbolic("frames"), Dim.fixed(64)))))
        .containsExactly("graph 'audio_encoder' input 'audio_features': dimension 2 is 128 in the ONNX file, the manifest says 64");
    assertThat(check(new TensorSpec("audio_features", TensorType.FLOAT32,
        List.of(Dim.symbolic("batch"), Dim.symbolic("frames"), Dim.symbolic("width")))))
        .containsExactly("graph 'audio_encoder' input 'audio_features': dimension 2 is fixed to 128 in the ONNX file, "
            + "the manifest says symbolic 'width'");
  }
}
