package dev.pestream.models.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The folder {@code pestream models pull} installs bundles into (default {@code
 * ~/.pestream/models}, else {@value #ENV} or {@code --models-home}): {@code NAME/fp32/} and
 * {@code NAME/fp16/}, each a complete bundle. {@link #resolve} turns what a user passes as
 * {@code --models} into a bundle folder: a folder path as before, or an installed name.
 */
public final class ModelsHome {
  /** Environment variable overriding the default models home. */
  public static final String ENV = "PESTREAM_MODELS_HOME";

  /** The precision a bare name resolves to. */
  public static final String DEFAULT_PRECISION = "fp32";

  private final Path dir;

  public ModelsHome(Path dir) {
    this.dir = dir;
  }

  /** {@code explicit} if given, else {@value #ENV}, else {@code ~/.pestream/models}. */
  public static ModelsHome of(Path explicit, Map<String, String> env) {
    if (explicit != null) {
      return new ModelsHome(explicit);
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new ModelsHome(Path.of(fromEnv));
    }
    return new ModelsHome(Path.of(System.getProperty("user.home"), ".pestream", "models"));
  }

  public Path dir() {
    return dir;
  }

  /**
   * The bundle folder {@code models} names: an existing folder path as given ({@code
   * bundles/x}, {@code /data/pe}); else an installed name ({@code pe-av-small} = its {@value
   * #DEFAULT_PRECISION} bundle, {@code pe-av-small/fp16}). A folder holding precisions rather
   * than a manifest resolves to its {@value #DEFAULT_PRECISION} bundle too. Unknown names come
   * back as given, so the bundle check reports the path the user typed.
   */
  public Path resolve(String models) {
    Path asPath = Path.of(models);
    if (Files.isDirectory(asPath)) {
      return bundleIn(asPath);
    }
    if (!asPath.isAbsolute() && !models.startsWith(".")) {
      Path installed = dir.resolve(models);
      if (Files.isDirectory(installed)) {
        return bundleIn(installed);
      }
    }
    return asPath;
  }

  private static Path bundleIn(Path folder) {
    Path precision = folder.resolve(DEFAULT_PRECISION);
    if (!Files.exists(folder.resolve(ModelBundle.MANIFEST_FILE)) && Files.isDirectory(precision)) {
      return precision;
    }
    return folder;
  }

  /** One installed bundle: its name as {@code --models} takes it and the folder. */
  public record Installed(String name, Path dir) {}

  /** Every installed bundle ({@code NAME/PRECISION} with a manifest), sorted by name. */
  public List<Installed> list() throws IOException {
    List<Installed> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> names = Files.list(dir)) {
      for (Path model : names.filter(Files::isDirectory).sorted().toList()) {
        String name = model.getFileName().toString();
        if (name.startsWith(".")) {
          continue; // the download cache and staging folders of a running pull
        }
        try (Stream<Path> precisions = Files.list(model)) {
          for (Path p : precisions.filter(d -> Files.exists(d.resolve(ModelBundle.MANIFEST_FILE))).sorted().toList()) {
            out.add(new Installed(name + "/" + p.getFileName(), p));
          }
        }
        if (Files.exists(model.resolve(ModelBundle.MANIFEST_FILE))) {
          out.add(new Installed(name, model));
        }
      }
    }
    return out;
  }
}
