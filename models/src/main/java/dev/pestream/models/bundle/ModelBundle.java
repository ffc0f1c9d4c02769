package dev.pestream.models.bundle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model bundle folder whose manifest has been read and checked: the manifest is complete for
 * every graph it lists, each graph follows its {@link Role}'s contract, and every file exists with
 * the sha256 the manifest names. Graph files are checked against the manifest when their ONNX
 * Runtime session opens ({@link GraphValidator}).
 */
public final class ModelBundle {
  public static final String MANIFEST_FILE = "manifest.json";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private final Path dir;
  private final BundleManifest manifest;

  private ModelBundle(Path dir, BundleManifest manifest) {
    this.dir = dir;
    this.manifest = manifest;
  }

  /** Reads and validates the bundle in {@code dir}; throws {@link BundleValidationException} naming every problem. */
  public static ModelBundle load(Path dir) {
    Path real;
    try {
      real = dir.toRealPath();
    } catch (IOException e) {
      throw new BundleValidationException(dir.toString(), "bundle folder not readable: " + e, e);
    }
    BundleManifest manifest = readManifest(real);
    List<String> problems = new ArrayList<>(checkManifest(manifest));
    problems.addAll(checkFiles(real, manifest));
    if (!problems.isEmpty()) {
      throw new BundleValidationException(real.toString(), problems);
    }
    return new ModelBundle(real, manifest);
  }

  public static BundleManifest readManifest(Path dir) {
    Path file = dir.resolve(MANIFEST_FILE);
    try {
      return JSON.readValue(file.toFile(), BundleManifest.class);
    } catch (IOException e) {
      String reason = Files.exists(file) ? "cannot parse " + MANIFEST_FILE + ": " + e.getMessage()
          : MANIFEST_FILE + " is missing";
      throw new BundleValidationException(dir.toString(), reason, e);
    }
  }

  public Path dir() {
    return dir;
  }

  public BundleManifest manifest() {
    return manifest;
  }

  public String name() {
    return manifest.modelId() + "@" + manifest.version();
  }

  public GraphSpec graph(String graphName) {
    GraphSpec spec = manifest.graphs().get(graphName);
    if (spec == null) {
      throw new IllegalArgumentException("bundle " + name() + " has no graph '" + graphName + "' (graphs: "
          + manifest.graphs().keySet() + ")");
    }
    return spec;
  }

  public Path graphFile(String graphName) {
    return dir.resolve(graph(graphName).file());
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  /** Problems in the manifest itself (completeness and role contracts), without touching files. */
  static List<String> checkManifest(BundleManifest m) {
    List<String> problems = new ArrayList<>();
    if (!BundleManifest.FORMAT.equals(m.format())) {
      problems.add("format is '" + m.format() + "', expected '" + BundleManifest.FORMAT + "'");
    }
    if (m.modelId() == null || m.version() == null) {
      problems.add("modelId and version are required");
    }
    if (m.graphs().isEmpty()) {
      problems.add("no graphs");
    }
    for (Map.Entry<String, GraphSpec> e : m.graphs().entrySet()) {
      String graph = e.getKey();
      GraphSpec spec = e.getValue();
      if (spec.file() == null || !m.files().containsKey(spec.file())) {
        problems.add("graph '" + graph + "': file '" + spec.file() + "' is not listed in 'files' with its sha256");
      }
      Role role = Role.of(graph, m);
      if (role == null) {
        problems.add("graph '" + graph + "': unknown role (roles: audio_codec, frame_encoder, audio_encoder, "
            + "video_encoder, av_encoder, frame_level_audio, text_encoder, or a text graph named by a head)");
        continue;
      }
      problems.addAll(checkRole(graph, role, spec, m));
    }
    for (Map.Entry<String, HeadSpec> e : m.heads().entrySet()) {
      HeadSpec head = e.getValue();
      GraphSpec graph = m.graphs().get(head.graph());
      if (graph == null) {
        problems.add("head '" + e.getKey() + "': graph '" + head.graph() + "' is not in 'graphs'");
      } else if (graph.output(head.output()).isEmpty()) {
        problems.add("head '" + e.getKey() + "': graph '" + head.graph() + "' has no output '" + head.output() + "'");
      }
    }
    boolean hasText = m.graphs().keySet().stream().anyMatch(g -> Role.of(g, m) == Role.TEXT_ENCODER);
    if (hasText) {
      if (m.text() == null) {
        problems.add("text graphs need a 'text' section (tokenizer, maxLength)");
      } else if (!m.files().containsKey(m.text().tokenizer())) {
        problems.add("tokenizer '" + m.text().tokenizer() + "' is not listed in 'files' with its sha256");
      }
    }
    return problems;
  }

  private static List<String> checkRole(String graph, Role role, GraphSpec spec, BundleManifest m) {
    List<String> problems = new ArrayList<>();
    problems.addAll(checkTensors(graph, "input", role, role.inputs(), spec.inputs(), m));
    if (role == Role.TEXT_ENCODER) {
      if (spec.outputs().isEmpty()) {
        problems.add("graph '" + graph + "': a text graph needs at least one output (one per head)");
      }
      for (TensorSpec out : spec.outputs()) {
        Role.Io expected = new Role.Io(out.name(), TensorType.FLOAT32, List.of("batch", "embeddingDim"));
        problems.addAll(checkTensor(graph, "output", role, expected, out, m));
      }
    } else {
      problems.addAll(checkTensors(graph, "output", role, role.outputs(), spec.outputs(), m));
    }
    return problems;
  }

  private static List<String> checkTensors(String graph, String kind, Role role, List<Role.Io> expected,
                                           List<TensorSpec> actual, BundleManifest m) {
    List<String> problems = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Role.Io io : expected) {
      seen.add(io.name());
      actual.stream().filter(t -> t.name().equals(io.name())).findFirst().ifPresentOrElse(
          t -> problems.addAll(checkTensor(graph, kind, role, io, t, m)),
          () -> problems.add("graph '" + graph + "': role " + role.graphName() + " needs " + kind + " '"
              + io.name() + "', the manifest lists " + names(actual)));
    }
    for (TensorSpec t : actual) {
      if (!seen.contains(t.name())) {
        problems.add("graph '" + graph + "': " + kind + " '" + t.name() + "' is not part of role "
            + role.graphName() + " (expected " + expected.stream().map(Role.Io::name).toList() + ")");
      }
    }
    return problems;
  }

  private static List<String> checkTensor(String graph, String kind, Role role, Role.Io io, TensorSpec t,
                                          BundleManifest m) {
    List<String> problems = new ArrayList<>();
    String where = "graph '" + graph + "' " + kind + " '" + t.name() + "'";
    if (t.dtype() != io.dtype()) {
      problems.add(where + ": dtype " + t.dtype().manifestName() + ", role " + role.graphName() + " needs "
          + io.dtype().manifestName());
    }
    if (t.rank() != io.shape().size()) {
      problems.add(where + ": rank " + t.rank() + " " + t.shape() + ", role " + role.graphName() + " needs rank "
          + io.shape().size() + " " + io.shape());
      return problems;
    }
    for (int i = 0; i < t.rank(); i++) {
      String token = io.shape().get(i);
      Dim dim = t.shape().get(i);
      Long size = resolve(token, m);
      if (size == null) {
        if (!dim.isSymbolic()) {
          problems.add(where + ": dimension " + i + " must be symbolic ('" + token + "'), the manifest fixes it to "
              + dim.size());
        }
      } else if (dim.isSymbolic() || dim.size() != size) {
        problems.add(where + ": dimension " + i + " is " + dim + ", role " + role.graphName() + " needs " + token
            + " = " + (size < 0 ? "(missing in manifest)" : size));
      }
    }
    return problems;
  }

  /** Fixed size for a shape token, null for symbolic tokens, -1 when the manifest lacks the constant. */
  private static Long resolve(String token, BundleManifest m) {
    if (Character.isDigit(token.charAt(0))) {
      return Long.parseLong(token);
    }
    return switch (token) {
      case "featureDim" -> m.audio() == null ? -1L : m.audio().featureDim();
      case "imageSize" -> m.video() == null ? -1L : m.video().imageSize();
      case "frameFeatureDim" -> m.video() == null ? -1L : m.video().frameFeatureDim();
      case "embeddingDim" -> m.embeddingDim() > 0 ? (long) m.embeddingDim() : -1L;
      default -> null;
    };
  }

  private static List<String> names(List<TensorSpec> tensors) {
    return tensors.stream().map(TensorSpec::name).toList();
  }

  /** Every listed file must exist and hash to its manifest sha256. */
  static List<String> checkFiles(Path dir, BundleManifest m) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> e : m.files().entrySet()) {
      Path file = dir.resolve(e.getKey()).normalize();
      if (!file.startsWith(dir)) {
        problems.add("file '" + e.getKey() + "' lies outside the bundle folder");
        continue;
      }
      try {
        String actual = sha256(file);
        if (!actual.equalsIgnoreCase(e.getValue())) {
          problems.add("file '" + e.getKey() + "': sha256 is " + actual + ", the manifest says " + e.getValue());
        }
      } catch (NoSuchFileException ex) {
        problems.add("file '" + e.getKey() + "' is listed in the manifest but missing");
      } catch (IOException ex) {
        problems.add("file '" + e.getKey() + "' cannot be read: " + ex);
      }
    }
    return problems;
  }

  public static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
