package dev.pestream.connectors.blob;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobStoreTest {
  @TempDir Path dir;

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void storesContentAddressedBlobsAndReadsThemBackVerified() throws Exception {
    BlobStore store = new BlobStore(dir.toUri());
    byte[] bytes = randomBytes(300_000, 1);

    BlobRef ref = store.put("cam-1", bytes);

    assertThat(ref.getSha256()).isEqualTo(Sha256.hex(bytes)).hasSize(64);
    assertThat(ref.getLength()).isEqualTo(bytes.length);
    Path file = Path.of(URI.create(ref.getUri()));
    assertThat(file).startsWith(dir).hasFileName(ref.getSha256() + BlobStore.BLOB_SUFFIX);
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    assertThat(new BlobReader(dir.toUri(), 1 << 20).read(ref)).isEqualTo(bytes);
    // No temp files left behind.
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void writingTheSameChunkTwiceIsIdempotent() throws Exception {
    BlobStore store = new BlobStore(dir.toUri());
    byte[] bytes = randomBytes(1000, 2);
    BlobRef first = store.put("s", bytes);
    long modified = Files.getLastModifiedTime(Path.of(URI.create(first.getUri()))).toMillis();
    Thread.sleep(20);
    BlobRef second = store.put("s", bytes);
    assertThat(second).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(Path.of(URI.create(second.getUri()))).toMillis()).isEqualTo(modified);
  }

  @Test
  void rejectsATamperedBlob() throws Exception {
    BlobStore store = new BlobStore(dir.toUri());
    byte[] bytes = randomBytes(5000, 3);
    BlobRef ref = store.put("s", bytes);
    byte[] tampered = bytes.clone();
    tampered[1234] ^= 1;
    Files.write(Path.of(URI.create(ref.getUri())), tampered);

    assertThatThrownBy(() -> new BlobReader(dir.toUri(), 1 << 20).read(ref))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.HASH_MISMATCH))
        .hasMessageContaining(ref.getSha256());
  }

  @Test
  void rejectsLengthMismatchMissingBlobAndOversizedBlob() throws Exception {
    BlobStore store = new BlobStore(dir.toUri());
    byte[] bytes = randomBytes(5000, 4);
    BlobRef ref = store.put("s", bytes);
    BlobReader reader = new BlobReader(dir.toUri(), 4096);

    BlobRef shorter = BlobRef.newBuilder(ref).setLength(4000).build();
    assertThatThrownBy(() -> new BlobReader(dir.toUri(), 1 << 20).read(shorter))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.LENGTH_MISMATCH));
    assertThatThrownBy(() -> reader.read(ref))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.TOO_LARGE));
    BlobRef missing = BlobRef.newBuilder(ref).setUri(dir.toUri() + "s/none.chunk").setLength(10).build();
    assertThatThrownBy(() -> reader.read(missing))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.NOT_FOUND));
  }

  @Test
  void aStoreThatIsAwayIsAnOutageNotAMissingBlob() throws Exception {
    Path root = Files.createDirectories(dir.resolve("blobs"));
    BlobRef ref = new BlobStore(root.toUri()).put("s", randomBytes(100, 5));
    BlobReader reader = new BlobReader(root.toUri(), 1 << 20);
    Files.move(root, dir.resolve("blobs-away"));
    assertThatThrownBy(() -> reader.read(ref))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.IO))
        .hasMessageContaining("not reachable");
    Files.move(dir.resolve("blobs-away"), root);
    assertThat(reader.read(ref)).hasSize(100);
  }

  @Test
  void neverReadsOutsideTheStore() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "top secret");
    Path root = Files.createDirectories(dir.resolve("blobs"));
    BlobReader reader = new BlobReader(root.toUri(), 1 << 20);
    String sha = Sha256.hex(Files.readAllBytes(secret));
    for (String uri :
        new String[] {
          secret.toUri().toString(),
          root.toUri() + "../secret.txt",
          root.toUri() + "s/../../secret.txt",
          "file:///etc/passwd",
          "http://127.0.0.1:9/secret.txt",
          "file://otherhost" + root + "/s/x.chunk",
          root.toUri().toString(),
          "not a uri",
        }) {
      BlobRef ref = BlobRef.newBuilder().setUri(uri).setSha256(sha).setLength(10).build();
      assertThatThrownBy(() -> reader.read(ref))
          .as(uri)
          .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.NOT_ALLOWED));
    }
  }

  @Test
  void streamIdsCannotEscapeTheirFolder() throws Exception {
    assertThat(BlobStore.folderOf("cam-1_a.b")).isEqualTo("cam-1_a.b");
    assertThat(BlobStore.folderOf("../etc")).isEqualTo("~2E.~2Fetc");
    assertThat(BlobStore.folderOf("a/b c")).isEqualTo("a~2Fb~20c");
    assertThat(BlobStore.folderOf("é")).isEqualTo("~C3~A9");

    BlobRef ref = new BlobStore(dir.toUri()).put("../../x", "data".getBytes(StandardCharsets.UTF_8));
    assertThat(Path.of(URI.create(ref.getUri()))).startsWith(dir);
    assertThat(new BlobReader(dir.toUri(), 100).read(ref)).asString(StandardCharsets.UTF_8).isEqualTo("data");
  }

  @Test
  void payloadOfResolvesInlineBytesAndClaimChecks() throws Exception {
    byte[] bytes = randomBytes(2000, 5);
    BlobRef ref = new BlobStore(dir.toUri()).put("s", bytes);
    BlobReader reader = new BlobReader(BlobLocations.parseRoot(dir.toString()), 1500);
    MediaChunk.Builder chunk =
        MediaChunk.newBuilder()
            .setStreamId("s").setSeq(0).setKind(MediaKind.AUDIO).setContainer("wav")
            .setStartUs(0).setDurationUs(1).setIngestTimeMs(java.time.Instant.EPOCH);

    assertThat(reader.payloadOf(chunk.setPayload(ByteBuffer.wrap(bytes, 0, 1000)).build()))
        .isEqualTo(java.util.Arrays.copyOf(bytes, 1000));
    assertThatThrownBy(() -> reader.payloadOf(chunk.setPayload(ByteBuffer.wrap(bytes)).build()))
        .isInstanceOfSatisfying(BlobException.class, e -> assertThat(e.kind()).isEqualTo(BlobException.Kind.TOO_LARGE));
    BlobReader larger = new BlobReader(dir.toUri(), 1 << 20);
    assertThat(larger.payloadOf(chunk.setPayload(ref).build())).isEqualTo(bytes);
  }

  @Test
  void parsesPlainPathsAsLocalRoots() {
    assertThat(BlobLocations.parseRoot("/var/blobs/").toString()).isEqualTo("file:/var/blobs");
    assertThat(BlobLocations.parseRoot("file:///var/blobs").toString()).isEqualTo("file:/var/blobs");
    assertThat(BlobLocations.parseRoot("s3://bucket/blobs/").toString()).isEqualTo("s3://bucket/blobs");
    assertThat(BlobLocations.parseRoot("rel/dir").getPath()).endsWith("/rel/dir").startsWith("/");
    assertThatThrownBy(() -> BlobLocations.parseRoot(" ")).isInstanceOf(IllegalArgumentException.class);
  }
}
