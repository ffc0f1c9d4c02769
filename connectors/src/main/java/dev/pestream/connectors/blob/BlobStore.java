package dev.pestream.connectors.blob;

import dev.pestream.schemas.BlobRef;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystem.WriteMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

/**
 * Writes claim-check blobs: chunk bytes too large to inline in a Kafka record. Blobs are content
 * addressed ({@code <root>/<stream id>/<sha256>.chunk}), so writing the same chunk twice is
 * idempotent and a reader can verify what it got. Any scheme Flink's {@link FileSystem} knows
 * works ({@code file://} always; {@code s3://} and others when their plugin is loaded, see {@link
 * BlobFileSystems}).
 */
public final class BlobStore {
  /** Suffix of every blob file. */
  public static final String BLOB_SUFFIX = ".chunk";

  private final URI root;

  /** A store rooted at {@code root}, e.g. {@code file:///var/pestream/blobs} or {@code s3://bucket/blobs}. */
  public BlobStore(URI root) {
    this.root = BlobLocations.normalizeRoot(root);
  }

  public URI root() {
    return root;
  }

  /** Stores {@code bytes} for {@code streamId} and returns the claim check a record carries. */
  public BlobRef put(String streamId, byte[] bytes) throws BlobException {
    String sha256 = Sha256.hex(bytes);
    Path target = new Path(root.toString() + "/" + folderOf(streamId) + "/" + sha256 + BLOB_SUFFIX);
    BlobRef ref =
        BlobRef.newBuilder().setUri(target.toUri().toString()).setSha256(sha256).setLength(bytes.length).build();
    try {
      FileSystem fs = target.getFileSystem();
      if (fs.exists(target) && fs.getFileStatus(target).getLen() == bytes.length) {
        return ref; // same content, same name: already stored
      }
      if (fs instanceof LocalFileSystem) {
        // Readers must never see a half-written file: write aside, then rename into place.
        Path temp = new Path(target.getParent(), "." + sha256 + "." + UUID.randomUUID() + ".tmp");
        write(fs, temp, bytes);
        if (!fs.rename(temp, target)) {
          fs.delete(temp, false);
          throw new IOException("cannot rename " + temp + " to " + target);
        }
      } else {
        // Object stores publish an object atomically when the upload stream closes.
        write(fs, target, bytes);
      }
      return ref;
    } catch (IOException e) {
      throw new BlobException(BlobException.Kind.IO, "cannot write blob " + target + ": " + e.getMessage(), e);
    }
  }

  private static void write(FileSystem fs, Path path, byte[] bytes) throws IOException {
    try (FSDataOutputStream out = fs.create(path, WriteMode.OVERWRITE)) {
      out.write(bytes);
    }
  }

  /**
   * The folder name of a stream: letters, digits, '-', '_' and '.' kept, every other byte of its
   * UTF-8 form written as '~' and two hex digits (so ids cannot climb out of the root or collide
   * with a temp file, and the name needs no escaping in a URI).
   */
  static String folderOf(String streamId) {
    if (streamId == null || streamId.isEmpty()) {
      throw new IllegalArgumentException("stream id must not be empty");
    }
    StringBuilder sb = new StringBuilder();
    byte[] utf8 = streamId.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < utf8.length; i++) {
      int b = utf8[i] & 0xff;
      boolean plain =
          (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == '_'
              || (b == '.' && i > 0);
      if (plain) {
        sb.append((char) b);
      } else {
        sb.append('~').append(String.format("%02X", b));
      }
    }
    return sb.toString();
  }
}
