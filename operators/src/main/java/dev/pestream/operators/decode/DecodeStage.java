package dev.pestream.operators.decode;

import dev.pestream.media.FfmpegLog;

import dev.pestream.connectors.blob.BlobException;
import dev.pestream.connectors.blob.BlobReader;
import dev.pestream.connectors.blob.BlobRetryPolicy;
import dev.pestream.connectors.blob.BlobUnavailableException;
import dev.pestream.connectors.deadletter.DeadLetters;
import dev.pestream.schemas.BlobRef;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.MediaChunk;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.SplittableRandom;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decode stage: {@link MediaChunk} in (after {@code ChunkSequencer}), {@link DecodedChunk}
 * out, via {@link ChunkDecoder}. A claim-checked payload is fetched and verified by {@link
 * BlobReader}, riding out store outages as {@link BlobRetryPolicy} says: a store that stays away
 * past the retry budget fails the task (a {@link BlobUnavailableException}), so that the job
 * restarts from its last checkpoint and reads the chunk again. Any other failure becomes a {@link DeadLetter} on {@link DeadLetters#TAG} (stage {@value
 * #STAGE}, the {@link DecodeFailure} as error class) and a {@link DecodedChunk} with {@code
 * decodeFailed = true} and no media still goes downstream, so that the stream's order is intact and
 * its time range is known to be a hole.
 */
public class DecodeStage extends ProcessFunction<MediaChunk, DecodedChunk>
    implements ResultTypeQueryable<DecodedChunk> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(DecodeStage.class);

  /** Stage name in dead letters. */
  public static final String STAGE = "decode";

  public static final String METRIC_CHUNKS_DECODED = "chunksDecoded";
  public static final String METRIC_DECODE_FAILURES = "decodeFailures";
  public static final String METRIC_FRAMES_KEPT = "framesKept";
  /** Pictures decoded (kept or not); below the stream's frame count when the policy's dropped frames are skipped. */
  public static final String METRIC_FRAMES_DECODED = "framesDecoded";
  public static final String METRIC_AUDIO_SAMPLES = "audioSamples";
  public static final String METRIC_DECODE_MILLIS = "decodeMillis";
  /** Blob reads retried after a transient store failure (one per retry). */
  public static final String METRIC_BLOB_READ_RETRIES = "blobReadRetries";
  /** Milliseconds spent waiting for the blob store between retries. */
  public static final String METRIC_BLOB_WAIT_MILLIS = "blobWaitMillis";
  /** Blob reads that failed for the whole retry budget (each fails the task). */
  public static final String METRIC_BLOB_READS_EXHAUSTED = "blobReadsExhausted";

  private final DecodeLimits limits;
  private final FramePolicy policy;
  private final VideoPreprocessing preprocessing;
  private final URI blobRoot;
  private final CaptionFramePolicy captions;
  private BlobRetryPolicy blobRetries = BlobRetryPolicy.defaults();
  private BlobRetryPolicy.Clock clock = BlobRetryPolicy.Clock.system();

  private transient ChunkDecoder decoder;
  private transient BlobReader blobs;
  private transient SplittableRandom jitter;
  private transient BlobRetryPolicy.Listener blobListener;
  private transient Counter decoded;
  private transient Counter failures;
  private transient Counter framesKept;
  private transient Counter framesDecoded;
  private transient Counter audioSamples;
  private transient Histogram decodeMillis;

  /**
   * @param blobRoot root of the claim-check blob store, or null when chunks are always inline
   */
  public DecodeStage(DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, URI blobRoot) {
    this(limits, policy, preprocessing, blobRoot, null);
  }

  /**
   * @param captions also make caption frames (PLM captions) this way; null = none
   */
  public DecodeStage(DecodeLimits limits, FramePolicy policy, VideoPreprocessing preprocessing, URI blobRoot,
      CaptionFramePolicy captions) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
    this.blobRoot = blobRoot;
    this.captions = captions;
  }

  /** Retries of claim-check reads (default {@link BlobRetryPolicy#defaults()}). */
  public DecodeStage withBlobRetries(BlobRetryPolicy retries) {
    this.blobRetries = Objects.requireNonNull(retries, "retries");
    return this;
  }

  /** The retry loop's clock, for tests. */
  DecodeStage withClock(BlobRetryPolicy.Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  @Override
  public void open(OpenContext openContext) {
    FfmpegLog.install();
    decoder = new ChunkDecoder(limits, policy, preprocessing, captions);
    blobs = blobRoot == null ? null : new BlobReader(blobRoot, limits.maxPayloadBytes());
    var metrics = getRuntimeContext().getMetricGroup();
    decoded = metrics.counter(METRIC_CHUNKS_DECODED);
    failures = metrics.counter(METRIC_DECODE_FAILURES);
    framesKept = metrics.counter(METRIC_FRAMES_KEPT);
    framesDecoded = metrics.counter(METRIC_FRAMES_DECODED);
    audioSamples = metrics.counter(METRIC_AUDIO_SAMPLES);
    decodeMillis = metrics.histogram(METRIC_DECODE_MILLIS, new DescriptiveStatisticsHistogram(1000));
    jitter = new SplittableRandom();
    blobListener = blobListener(metrics.counter(METRIC_BLOB_READ_RETRIES), metrics.counter(METRIC_BLOB_WAIT_MILLIS),
        metrics.counter(METRIC_BLOB_READS_EXHAUSTED));
  }

  private BlobRetryPolicy.Listener blobListener(Counter retries, Counter waitMillis, Counter exhausted) {
    return new BlobRetryPolicy.Listener() {
      @Override
      public void retrying(BlobException failure, int retry, long pauseNanos) {
        retries.inc();
        if (retry == 1) {
          LOG.warn("Blob read failed ({}), retrying for up to {}: {}", failure.kind(), blobRetries.budgetFor(failure.kind()),
              failure.getMessage());
        }
      }

      @Override
      public void waited(long waitedNanos) {
        waitMillis.inc(waitedNanos / 1_000_000);
      }

      @Override
      public void exhausted(BlobException last) {
        exhausted.inc();
      }
    };
  }

  @Override
  public void processElement(MediaChunk chunk, Context ctx, Collector<DecodedChunk> out)
      throws BlobUnavailableException, InterruptedException {
    byte[] payload = null;
    try {
      payload = payloadOf(chunk);
      long started = System.nanoTime();
      DecodedChunk media =
          decoder.decode(payload, chunk.getStartUs(), chunk.getDurationUs(), chunk.getContainer());
      decodeMillis.update((System.nanoTime() - started) / 1_000_000);
      identify(media, chunk);
      decoded.inc();
      framesKept.inc(media.frameCount());
      framesDecoded.inc(decoder.lastVideoFramesDecoded());
      audioSamples.inc(media.audio.length);
      out.collect(media);
    } catch (DecodeException e) {
      fail(chunk, e.failure().name(), e.getMessage(), payload, ctx, out);
    } catch (BlobException e) {
      fail(chunk, DecodeFailure.BLOB.name() + "_" + e.kind().name(), e.getMessage(), null, ctx, out);
    }
  }

  private byte[] payloadOf(MediaChunk chunk)
      throws BlobException, DecodeException, BlobUnavailableException, InterruptedException {
    if (blobs != null) {
      return blobRetries.call(() -> blobs.payloadOf(chunk), clock, jitter, blobListener);
    }
    if (chunk.getPayload() instanceof BlobRef ref) {
      throw new DecodeException(
          DecodeFailure.BLOB, "chunk is claim-checked (" + ref.getUri() + ") but no blob store is configured");
    }
    ByteBuffer inline = (ByteBuffer) chunk.getPayload();
    if (inline.remaining() > limits.maxPayloadBytes()) {
      throw new DecodeException(
          DecodeFailure.TOO_LARGE,
          "payload of " + inline.remaining() + " bytes exceeds the limit of " + limits.maxPayloadBytes());
    }
    byte[] bytes = new byte[inline.remaining()];
    inline.duplicate().get(bytes);
    return bytes;
  }

  private void fail(
      MediaChunk chunk, String errorClass, String reason, byte[] payload, Context ctx, Collector<DecodedChunk> out) {
    failures.inc();
    DeadLetter.Builder letter =
        DeadLetters.builder(STAGE, errorClass, reason).setStreamId(chunk.getStreamId()).setSeq(chunk.getSeq());
    ctx.output(DeadLetters.TAG, DeadLetters.withPayload(letter, payload).build());
    DecodedChunk hole = new DecodedChunk();
    identify(hole, chunk);
    hole.decodeFailed = true;
    hole.imageSize = preprocessing.imageSize();
    hole.audioStartSample = AudioClock.sampleIndexOf(chunk.getStartUs());
    out.collect(hole);
  }

  private static void identify(DecodedChunk media, MediaChunk chunk) {
    media.streamId = chunk.getStreamId();
    media.seq = chunk.getSeq();
    media.startUs = chunk.getStartUs();
    media.durationUs = chunk.getDurationUs();
    media.ingestTimeMs = chunk.getIngestTimeMs().toEpochMilli();
    media.gapBefore = chunk.getDiscontinuity();
  }

  @Override
  public void close() throws Exception {
    if (decoder != null) {
      decoder.close();
      decoder = null;
    }
    super.close();
  }

  @Override
  public TypeInformation<DecodedChunk> getProducedType() {
    return TypeInformation.of(DecodedChunk.class);
  }
}
