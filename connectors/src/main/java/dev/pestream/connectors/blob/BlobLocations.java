package dev.pestream.connectors.blob;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Paths;

/** Parsing and normalising blob store roots. */
public final class BlobLocations {
  private BlobLocations() {}

  /**
   * A root as an absolute URI without a trailing slash. A plain path (no scheme) is a local
   * directory and becomes a {@code file://} URI.
   */
  public static URI parseRoot(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("blob location must not be empty");
    }
    URI uri;
    try {
      uri = new URI(location);
    } catch (URISyntaxException e) {
      uri = null;
    }
    if (uri == null || uri.getScheme() == null || uri.getScheme().length() == 1 /* C:\ */) {
      uri = Paths.get(location).toAbsolutePath().normalize().toUri();
    }
    return normalizeRoot(uri);
  }

  static URI normalizeRoot(URI root) {
    if (root.getScheme() == null || root.isOpaque()) {
      throw new IllegalArgumentException("blob root must be an absolute hierarchical URI: " + root);
    }
    URI normalized = root.normalize();
    String path = normalized.getPath() == null ? "" : normalized.getPath();
    if (path.contains("/../") || path.endsWith("/..")) {
      throw new IllegalArgumentException("blob root must not contain '..': " + root);
    }
    while (path.endsWith("/") && path.length() > 1) {
      path = path.substring(0, path.length() - 1);
    }
    try {
      return new URI(normalized.getScheme(), normalized.getAuthority(), path, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("bad blob root " + root + ": " + e.getMessage(), e);
    }
  }
}
