package dev.pestream.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** Test support: the committed contract bundle and copies of it to break. */
public final class TestBundles {
  private TestBundles() {}

  /** models/bundles/contract (tests run with the module folder as working directory). */
  public static Path dir() {
    Path dir = Path.of("bundles", "contract").toAbsolutePath();
    if (!Files.isRegularFile(dir.resolve("manifest.json"))) {
      throw new IllegalStateException("contract bundle not found at " + dir);
    }
    return dir;
  }

  /** A copy of the bundle in {@code target}, for tests that modify files. */
  public static Path copyTo(Path target) {
    try (Stream<Path> files = Files.list(dir())) {
      Files.createDirectories(target);
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites the manifest of a copied bundle with a plain text replacement (must match). */
  public static void editManifest(Path bundle, String from, String to) {
    try {
      Path manifest = bundle.resolve("manifest.json");
      String text = Files.readString(manifest);
      if (!text.contains(from)) {
        throw new IllegalArgumentException("manifest has no '" + from + "'");
      }
      Files.writeString(manifest, text.replaceFirst(java.util.regex.Pattern.quote(from),
          java.util.regex.Matcher.quoteReplacement(to)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
