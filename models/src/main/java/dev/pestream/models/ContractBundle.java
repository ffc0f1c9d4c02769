package dev.pestream.models;

import dev.pestream.models.bundle.BundleManifest;
import dev.pestream.models.bundle.ModelBundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The engineered contract bundle (models/bundles/contract), shipped inside this jar so the demo
 * and tests can use it from any working directory. Its answers are documented in
 * models/contract/README.md; it is not a real model and its outputs must never be presented as
 * real model output.
 */
public final class ContractBundle {
  private static final String RESOURCE_DIR = "/dev/pestream/models/bundles/contract/";

  private ContractBundle() {}

  /**
   * Copies the bundle into {@code dir} (created if needed) and returns it. Files already there
   * with the right content are kept; loading checks every sha256 against the manifest anyway.
   */
  public static Path materialize(Path dir) {
    try {
      Files.createDirectories(dir);
      copy(ModelBundle.MANIFEST_FILE, dir);
      BundleManifest manifest = ModelBundle.readManifest(dir);
      for (String file : manifest.files().keySet()) {
        copy(file, dir);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the contract bundle to " + dir, e);
    }
  }

  private static void copy(String name, Path dir) throws IOException {
    try (InputStream in = ContractBundle.class.getResourceAsStream(RESOURCE_DIR + name)) {
      if (in == null) {
        throw new IOException("contract bundle file " + name + " is not on the class path");
      }
      Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
