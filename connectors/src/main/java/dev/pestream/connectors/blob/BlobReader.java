package dev.pestream.connectors.blob;

import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.MediaChunk;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Objects;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Reads claim-check blobs back and verifies them. The URI in a record is untrusted: only blobs
 * under the configured root are read, at most {@code maxBytes} of them, and the content must
 * match the record's length and SHA-256.
 */
public final class BlobReader implements Serializable {
  private static final long serialVersionUID = 1L;

  private final URI root;
  private final long maxBytes;

  public BlobReader(URI root, long maxBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
    }
    this.root = BlobLocations.normalizeRoot(root);
    this.maxBytes = maxBytes;
  }

  public URI root() {
    return root;
  }

  public long maxBytes() {
    return maxBytes;
  }

  /**
   * The chunk's bytes: the inline payload as is (after the size check), or the blob it refers
   * to, verified.
   */
  public byte[] payloadOf(MediaChunk chunk) throws BlobException {
    Object payload = chunk.getPayload();
    if (payload instanceof BlobRef ref) {
      return read(ref);
    }
    ByteBuffer inline = (ByteBuffer) Objects.requireNonNull(payload, "payload");
    if (inline.remaining() > maxBytes) {
      throw new BlobException(
          BlobException.Kind.TOO_LARGE,
          "inline payload of " + inline.remaining() + " bytes exceeds the limit of " + maxBytes,
          null);
    }
    byte[] bytes = new byte[inline.remaining()];
    inline.duplicate().get(bytes);
    return bytes;
  }

  /** Reads and verifies one blob. */
  public byte[] read(BlobRef ref) throws BlobException {
    Path path = allowedPath(ref.getUri());
    if (ref.getLength() < 0 || ref.getLength() > maxBytes) {
      throw new BlobException(
          BlobException.Kind.TOO_LARGE,
          "blob " + ref.getUri() + " declares " + ref.getLength() + " bytes; the limit is " + maxBytes,
          null);
    }
    int length = (int) ref.getLength();
    byte[] bytes = new byte[length];
    try {
      FileSystem fs = path.getFileSystem();
      FileStatus status;
      try {
        status = fs.getFileStatus(path);
      } catch (FileNotFoundException e) {
        throw missing(fs, ref, e);
      }
      if (status.getLen() != length) {
        throw new BlobException(
            BlobException.Kind.LENGTH_MISMATCH,
            "blob " + ref.getUri() + " has " + status.getLen() + " bytes, the record says " + length,
            null);
      }
      try (FSDataInputStream in = fs.open(path)) {
        int off = 0;
        while (off < length) {
          int n = in.read(bytes, off, length - off);
          if (n < 0) {
            throw new BlobException(
                BlobException.Kind.LENGTH_MISMATCH,
                "blob " + ref.getUri() + " ended after " + off + " of " + length + " bytes",
                null);
          }
          off += n;
        }
      }
    } catch (BlobException e) {
      throw e;
    } catch (IOException e) {
      throw new BlobException(BlobException.Kind.IO, "cannot read blob " + ref.getUri() + ": " + e.getMessage(), e);
    }
    MessageDigest digest = Sha256.digest();
    String actual = HexFormat.of().formatHex(digest.digest(bytes));
    if (!actual.equalsIgnoreCase(ref.getSha256())) {
      throw new BlobException(
          BlobException.Kind.HASH_MISMATCH,
          "blob " + ref.getUri() + " has SHA-256 " + actual + ", the record says " + ref.getSha256(),
          null);
    }
    return bytes;
  }

  /**
   * A blob that is not there. If the store's root is not there either, the store itself is away
   * (an unmounted or moved folder, a bucket that does not answer): that is an outage ({@code IO},
   * retried as long as any store failure), not a missing blob ({@code NOT_FOUND}, retried only for
   * a short grace and then dead-lettered).
   */
  private BlobException missing(FileSystem fs, BlobRef ref, FileNotFoundException notFound) {
    try {
      if (fs.exists(new Path(root))) {
        return new BlobException(BlobException.Kind.NOT_FOUND, "no blob at " + ref.getUri(), notFound);
      }
      return new BlobException(
          BlobException.Kind.IO, "blob store " + root + " is not reachable (reading " + ref.getUri() + ")", notFound);
    } catch (IOException e) {
      return new BlobException(
          BlobException.Kind.IO, "cannot reach blob store " + root + ": " + e.getMessage(), e);
    }
  }

  /** The blob's path, if the URI names a file strictly inside the root; otherwise rejected. */
  Path allowedPath(String uriText) throws BlobException {
    URI uri;
    try {
      uri = new URI(uriText);
    } catch (URISyntaxException | NullPointerException e) {
      throw new BlobException(BlobException.Kind.NOT_ALLOWED, "malformed blob URI: " + uriText, e);
    }
    String rawPath = uri.getPath();
    boolean sameStore =
        !uri.isOpaque()
            && root.getScheme().equalsIgnoreCase(uri.getScheme())
            && Objects.equals(root.getAuthority(), uri.getAuthority())
            && uri.getQuery() == null
            && uri.getFragment() == null
            && rawPath != null;
    String rootPath = root.getPath().endsWith("/") ? root.getPath() : root.getPath() + "/";
    boolean inside =
        sameStore
            && rawPath.startsWith(rootPath)
            && rawPath.length() > rootPath.length()
            && !containsDotSegment(rawPath);
    if (!inside) {
      throw new BlobException(
          BlobException.Kind.NOT_ALLOWED, "blob URI " + uriText + " is outside the blob store " + root, null);
    }
    return new Path(uri);
  }

  private static boolean containsDotSegment(String path) {
    for (String segment : path.split("/", -1)) {
      if (segment.equals("..") || segment.equals(".")) {
        return true;
      }
    }
    return false;
  }
}
