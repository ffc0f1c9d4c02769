package dev.pestream.operators.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.connectors.blob.BlobRetryPolicy;
import dev.pestream.connectors.blob.BlobStore;
import dev.pestream.connectors.blob.BlobUnavailableException;
import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.operators.testing.DecodedMedia;
import dev.pestream.operators.testing.SyntheticMedia;
import dev.pestream.operators.testing.SyntheticMedia.Container;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeStageTest {
  private static final VideoPreprocessing PRE = VideoPreprocessing.pe(24);
  private static byte[] mp4;
  private static byte[] wav;

  @TempDir Path dir;
  private OneInputStreamOperatorTestHarness<MediaChunk, DecodedChunk> harness;

  @BeforeAll
  static void media() throws Exception {
    Path tmp = Files.createTempDirectory("decode-stage");
    mp4 = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.MP4_MOOV_AT_END).tone(0.5, 0.9, 800), tmp);
    wav = SyntheticMedia.generate(SyntheticMedia.spec().container(Container.WAV).tone(0.25, 0.5, 800), tmp);
  }

  @BeforeEach
  void open() throws Exception {
    harness = harness(dir.toUri());
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private static OneInputStreamOperatorTestHarness<MediaChunk, DecodedChunk> harness(URI blobRoot) throws Exception {
    return open(new DecodeStage(DecodeLimits.defaults(), new FramePolicy.Native(), PRE, blobRoot));
  }

  /** An open test harness around {@code stage}. */
  static OneInputStreamOperatorTestHarness<MediaChunk, DecodedChunk> open(DecodeStage stage) throws Exception {
    var h = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(stage));
    h.setup(TypeInformation.of(DecodedChunk.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    h.open();
    return h;
  }

  private static MediaChunk chunk(long seq, String container, Object payload) {
    return MediaChunk.newBuilder()
        .setStreamId("cam-7")
        .setSeq(seq)
        .setKind(MediaKind.AUDIO_VIDEO)
        .setContainer(container)
        .setStartUs(seq * 1_000_000L)
        .setDurationUs(1_000_000L)
        .setIngestTimeMs(Instant.ofEpochMilli(1_700_000_000_000L + seq))
        .setPayload(payload)
        .build();
  }

  private List<DecodedChunk> outputs() {
    return harness.extractOutputValues();
  }

  private List<DeadLetter> deadLetters() {
    var side = harness.getSideOutput(DeadLetters.TAG);
    return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
  }

  @Test
  void decodesInlineChunksAndCarriesTheirIdentity() throws Exception {
    MediaChunk in = chunk(3, "mp4", ByteBuffer.wrap(mp4));
    in.setDiscontinuity(true);
    harness.processElement(in, 0);

    assertThat(deadLetters()).isEmpty();
    DecodedChunk out = outputs().get(0);
    assertThat(out.streamId).isEqualTo("cam-7");
    assertThat(out.seq).isEqualTo(3);
    assertThat(out.startUs).isEqualTo(3_000_000);
    assertThat(out.durationUs).isEqualTo(1_000_000);
    assertThat(out.ingestTimeMs).isEqualTo(1_700_000_000_003L);
    assertThat(out.gapBefore).isTrue();
    assertThat(out.decodeFailed).isFalse();
    assertThat(out.frameCount()).isEqualTo(25);
    assertThat(out.imageSize).isEqualTo(24);
    assertThat(out.framePtsUs[0]).isEqualTo(3_000_000);
    assertThat(DecodedMedia.onsetUs(out)).isBetween(3_499_000L, 3_501_000L);
  }

  @Test
  void aMislabelledChunkDecodesAsWhatItIs() throws Exception {
    harness.processElement(chunk(0, "mp4", ByteBuffer.wrap(wav)), 0);
    assertThat(deadLetters()).isEmpty();
    assertThat(outputs().get(0).audio).hasSizeBetween(47_900, 48_100);
    assertThat(DecodedMedia.onsetUs(outputs().get(0))).isBetween(249_000L, 251_000L);
  }

  @Test
  void failuresBecomeDeadLettersAndHolesAndTheStageGoesOn() throws Exception {
    byte[] corrupt = mp4.clone();
    for (int i = corrupt.length / 3; i < corrupt.length * 2 / 3; i += 50) {
      corrupt[i] ^= 0x3c;
    }
    byte[] playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n".getBytes(StandardCharsets.UTF_8);
    harness.processElement(chunk(0, "mp4", ByteBuffer.wrap(corrupt)), 0);
    harness.processElement(chunk(1, "mpegts", ByteBuffer.wrap(playlist)), 0);
    harness.processElement(chunk(2, "mpegts", ByteBuffer.wrap(new byte[0])), 0);
    harness.processElement(chunk(3, "matroska", ByteBuffer.wrap(Arrays.copyOf(mp4, mp4.length / 2))), 0);
    harness.processElement(chunk(4, "mp4", ByteBuffer.wrap(mp4)), 0);

    List<DeadLetter> letters = deadLetters();
    assertThat(letters).extracting(DeadLetter::getStage).containsOnly(DecodeStage.STAGE);
    assertThat(letters).extracting(DeadLetter::getSeq).containsExactly(0L, 1L, 2L, 3L);
    assertThat(letters).extracting(DeadLetter::getStreamId).containsOnly("cam-7");
    assertThat(letters).extracting(DeadLetter::getErrorClass)
        .containsExactly("CORRUPT", "UNREADABLE", "EMPTY", "UNREADABLE");
    assertThat(letters.get(0).getPayloadSize()).isEqualTo(corrupt.length);
    assertThat(letters.get(0).getPayload().remaining()).isEqualTo(Math.min(corrupt.length, DeadLetters.MAX_PAYLOAD_BYTES));
    assertThat(letters).allSatisfy(l -> assertThat(l.getReason()).isNotBlank());

    assertThat(outputs()).extracting(c -> c.seq).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(outputs()).extracting(c -> c.decodeFailed).containsExactly(true, true, true, true, false);
    DecodedChunk hole = outputs().get(1);
    assertThat(hole.audio).isEmpty();
    assertThat(hole.frameCount()).isZero();
    assertThat(hole.startUs).isEqualTo(1_000_000);
    assertThat(outputs().get(4).frameCount()).isEqualTo(25);
  }

  @Test
  void claimCheckedBlobsAreFetchedAndVerified() throws Exception {
    BlobStore store = new BlobStore(dir.toUri());
    BlobRef ref = store.put("cam-7", mp4);
    harness.processElement(chunk(0, "mp4", ref), 0);
    assertThat(outputs().get(0).frameCount()).isEqualTo(25);

    Files.write(Path.of(URI.create(ref.getUri())), wav); // swapped behind the record's back
    harness.processElement(chunk(1, "mp4", ref), 0);
    BlobRef outside = BlobRef.newBuilder(ref).setUri("file:///etc/passwd").build();
    harness.processElement(chunk(2, "mp4", outside), 0);

    assertThat(deadLetters()).extracting(DeadLetter::getErrorClass)
        .containsExactly("BLOB_LENGTH_MISMATCH", "BLOB_NOT_ALLOWED");
    BlobRef sameLengthTampered = store.put("cam-7", mp4);
    byte[] tampered = mp4.clone();
    tampered[100] ^= 1;
    Files.write(Path.of(URI.create(sameLengthTampered.getUri())), tampered);
    harness.processElement(chunk(3, "mp4", sameLengthTampered), 0);
    assertThat(deadLetters().get(2).getErrorClass()).isEqualTo("BLOB_HASH_MISMATCH");
    assertThat(deadLetters().get(2).getReason()).contains(ref.getSha256());
    assertThat(outputs()).extracting(c -> c.decodeFailed).containsExactly(false, true, true, true);
  }

  @Test
  void withoutABlobStoreClaimChecksAreDeadLettered() throws Exception {
    harness.close();
    harness = harness(null);
    BlobRef ref = new BlobStore(dir.toUri()).put("cam-7", mp4);
    harness.processElement(chunk(0, "mp4", ref), 0);
    harness.processElement(chunk(1, "mp4", ByteBuffer.wrap(mp4)), 0);
    assertThat(deadLetters()).extracting(DeadLetter::getErrorClass).containsExactly("BLOB");
    assertThat(deadLetters().get(0).getReason()).contains("no blob store");
    assertThat(outputs()).extracting(c -> c.decodeFailed).containsExactly(true, false);
  }

  // --- blob store outages -----------------------------------------------------------------------

  private static final BlobRetryPolicy RETRIES = new BlobRetryPolicy(
      Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(5));

  /**
   * Time that passes only when the stage sleeps between retries; the store is repaired (the
   * {@code repair} action runs) at the chosen sleep, so a test scripts an outage without waiting.
   */
  private static final class ScriptedClock implements BlobRetryPolicy.Clock {
    private int repairAtSleep = -1;
    private transient ThrowingRunnable repair;
    long now;
    final List<Long> sleeps = new ArrayList<>();

    void repairAt(int sleep, ThrowingRunnable action) {
      this.repairAtSleep = sleep;
      this.repair = action;
    }

    @Override
    public long nanoTime() {
      return now;
    }

    @Override
    public void sleep(long nanos) {
      sleeps.add(nanos);
      now += nanos;
      if (sleeps.size() == repairAtSleep) {
        try {
          repair.run();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** A blob store under {@code dir/blobs} read by a stage on {@code clock}. */
  private BlobStore storeWithStageOn(ScriptedClock clock) throws Exception {
    harness.close();
    Path root = Files.createDirectories(dir.resolve("blobs"));
    harness = open(new DecodeStage(DecodeLimits.defaults(), new FramePolicy.Native(), PRE, root.toUri())
        .withBlobRetries(RETRIES).withClock(clock));
    return new BlobStore(root.toUri());
  }

  @Test
  void aStoreOutageIsRiddenOutWithRetriesAndNoDeadLetter() throws Exception {
    Path root = dir.resolve("blobs");
    Path away = dir.resolve("blobs-away");
    ScriptedClock clock = new ScriptedClock();
    clock.repairAt(4, () -> Files.move(away, root));
    BlobRef ref = storeWithStageOn(clock).put("cam-7", mp4);
    Files.move(root, away); // the store's folder is gone (an unmounted share)

    harness.processElement(chunk(0, "mp4", ref), 0);

    assertThat(clock.sleeps).hasSize(4);
    assertThat(deadLetters()).isEmpty();
    assertThat(outputs()).singleElement().satisfies(c -> {
      assertThat(c.decodeFailed).isFalse();
      assertThat(c.frameCount()).isEqualTo(25);
    });
  }

  @Test
  void aBlobNotYetVisibleIsAwaitedWithinTheGrace() throws Exception {
    Path aside = dir.resolve("late.chunk");
    ScriptedClock clock = new ScriptedClock();
    BlobRef ref = storeWithStageOn(clock).put("cam-7", mp4);
    Path blob = Path.of(URI.create(ref.getUri()));
    Files.move(blob, aside); // written, not yet visible to this reader
    clock.repairAt(2, () -> Files.move(aside, blob));

    harness.processElement(chunk(0, "mp4", ref), 0);

    assertThat(clock.sleeps).hasSize(2);
    assertThat(deadLetters()).isEmpty();
    assertThat(outputs()).extracting(c -> c.decodeFailed).containsExactly(false);
  }

  @Test
  void aStoreAwayPastTheBudgetFailsTheTaskInsteadOfDeadLettering() throws Exception {
    ScriptedClock clock = new ScriptedClock();
    BlobRef ref = storeWithStageOn(clock).put("cam-7", mp4);
    Files.move(dir.resolve("blobs"), dir.resolve("blobs-away"));

    assertThatThrownBy(() -> harness.processElement(chunk(0, "mp4", ref), 0))
        .isInstanceOf(BlobUnavailableException.class)
        .hasMessageContaining("not reachable");

    assertThat(clock.now).isEqualTo(RETRIES.timeout().toNanos());
    assertThat(deadLetters()).isEmpty();
    assertThat(outputs()).isEmpty(); // no hole either: the chunk is read again after the restart
  }

  @Test
  void aBlobStillMissingFromAReachableStoreAfterTheGraceIsDeadLettered() throws Exception {
    ScriptedClock clock = new ScriptedClock();
    BlobRef ref = storeWithStageOn(clock).put("cam-7", mp4);
    Files.delete(Path.of(URI.create(ref.getUri())));

    harness.processElement(chunk(0, "mp4", ref), 0);

    assertThat(clock.now).isEqualTo(RETRIES.notFoundGrace().toNanos());
    assertThat(deadLetters()).extracting(DeadLetter::getErrorClass).containsExactly("BLOB_NOT_FOUND");
    assertThat(outputs()).extracting(c -> c.decodeFailed).containsExactly(true);
  }

  @Test
  void permanentBlobProblemsAreDeadLetteredAtOnceWithoutRetries() throws Exception {
    ScriptedClock clock = new ScriptedClock();
    BlobStore store = storeWithStageOn(clock);
    BlobRef tampered = store.put("cam-7", mp4);
    byte[] flipped = mp4.clone();
    flipped[100] ^= 1;
    Files.write(Path.of(URI.create(tampered.getUri())), flipped);
    BlobRef outside = BlobRef.newBuilder(tampered).setUri("file:///etc/passwd").build();
    BlobRef tooLarge = BlobRef.newBuilder(tampered).setLength(DecodeLimits.defaults().maxPayloadBytes() + 1L).build();

    harness.processElement(chunk(0, "mp4", tampered), 0);
    harness.processElement(chunk(1, "mp4", outside), 0);
    harness.processElement(chunk(2, "mp4", tooLarge), 0);

    assertThat(deadLetters()).extracting(DeadLetter::getErrorClass)
        .containsExactly("BLOB_HASH_MISMATCH", "BLOB_NOT_ALLOWED", "BLOB_TOO_LARGE");
    assertThat(clock.sleeps).isEmpty();
  }
}
