package dev.pestream.operators.decode;

import dev.pestream.connectors.blob.BlobRetryPolicy;
import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;

/**
 * Configuration of the decode stage (Flink options). The video preprocessing (image size, mean,
 * std) is not here: it comes from the model bundle's manifest. The window length and hop that
 * {@code uniform:K} samples for come from the job's window configuration.
 */
public final class DecodeOptions {
  public static final ConfigOption<String> FRAME_POLICY =
      ConfigOptions.key("decode.frame-policy")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Which video frames to keep: native (every frame), fps:N (about N per second) or uniform:K (K"
                  + " evenly spaced frames per window). Default: the model bundle's video.framePolicy.");

  public static final ConfigOption<MemorySize> MAX_PAYLOAD =
      ConfigOptions.key("decode.max-payload")
          .memoryType()
          .defaultValue(MemorySize.parse(DecodeLimits.DEFAULT_MAX_PAYLOAD_BYTES + "b"))
          .withDescription("Largest chunk payload (inline or claim-checked blob) the decoder accepts.");

  public static final ConfigOption<Duration> MAX_DURATION =
      ConfigOptions.key("decode.max-duration")
          .durationType()
          .defaultValue(Duration.ofNanos(DecodeLimits.DEFAULT_MAX_DURATION_US * 1000))
          .withDescription("Longest media one chunk may decode to.");

  public static final ConfigOption<Integer> MAX_VIDEO_FRAMES =
      ConfigOptions.key("decode.max-video-frames")
          .intType()
          .defaultValue(DecodeLimits.DEFAULT_MAX_VIDEO_FRAMES)
          .withDescription("Most video frames one chunk may decode to (kept or not).");

  public static final ConfigOption<Integer> MAX_WIDTH =
      ConfigOptions.key("decode.max-width")
          .intType()
          .defaultValue(DecodeLimits.DEFAULT_MAX_WIDTH)
          .withDescription("Widest picture accepted, in pixels.");

  public static final ConfigOption<Integer> MAX_HEIGHT =
      ConfigOptions.key("decode.max-height")
          .intType()
          .defaultValue(DecodeLimits.DEFAULT_MAX_HEIGHT)
          .withDescription("Tallest picture accepted, in pixels.");

  public static final ConfigOption<Duration> MAX_DECODE_TIME =
      ConfigOptions.key("decode.max-decode-time")
          .durationType()
          .defaultValue(Duration.ofMillis(DecodeLimits.DEFAULT_MAX_DECODE_MILLIS))
          .withDescription("Wall-clock budget for decoding one chunk.");

  public static final ConfigOption<Integer> DECODER_THREADS =
      ConfigOptions.key("decode.threads")
          .intType()
          .defaultValue(DecodeLimits.DEFAULT_DECODER_THREADS)
          .withDescription("FFmpeg decoder threads per codec (0 = FFmpeg's choice); parallelism scales out instead.");

  public static final ConfigOption<String> BLOB_ROOT =
      ConfigOptions.key("blob.root")
          .stringType()
          .noDefaultValue()
          .withDescription(
              "Root of the claim-check blob store (a directory or a file://, s3://... URI). Blobs elsewhere are"
                  + " refused; without it, claim-checked chunks are dead-lettered.");

  public static final ConfigOption<Duration> BLOB_RETRY_TIMEOUT =
      ConfigOptions.key("blob.retry-timeout")
          .durationType()
          .defaultValue(BlobRetryPolicy.DEFAULT_TIMEOUT)
          .withDescription(
              "How long a claim-check read retries a failing blob store (I/O errors, an unreachable root) before"
                  + " it fails the task, so that the job restarts from its last checkpoint and reads the chunk"
                  + " again. The subtask stalls (and backpressures) meanwhile. 0 = fail at the first error.");

  public static final ConfigOption<Duration> BLOB_NOT_FOUND_GRACE =
      ConfigOptions.key("blob.not-found-grace")
          .durationType()
          .defaultValue(BlobRetryPolicy.DEFAULT_NOT_FOUND_GRACE)
          .withDescription(
              "How long a blob that the reachable store says is not there is waited for (stores without"
                  + " read-after-write consistency), at most blob.retry-timeout; then it is dead-lettered"
                  + " (BLOB_NOT_FOUND).");

  public static final ConfigOption<Duration> BLOB_RETRY_INITIAL_BACKOFF =
      ConfigOptions.key("blob.retry-initial-backoff")
          .durationType()
          .defaultValue(BlobRetryPolicy.DEFAULT_INITIAL_BACKOFF)
          .withDescription("Pause before the first retry of a blob read; doubled each retry, half of it random.");

  public static final ConfigOption<Duration> BLOB_RETRY_MAX_BACKOFF =
      ConfigOptions.key("blob.retry-max-backoff")
          .durationType()
          .defaultValue(BlobRetryPolicy.DEFAULT_MAX_BACKOFF)
          .withDescription("Longest pause between two retries of a blob read.");

  private DecodeOptions() {}

  /** Retry policy of claim-check reads from {@code config}. */
  public static BlobRetryPolicy blobRetriesFrom(ReadableConfig config) {
    return new BlobRetryPolicy(config.get(BLOB_RETRY_TIMEOUT), config.get(BLOB_NOT_FOUND_GRACE),
        config.get(BLOB_RETRY_INITIAL_BACKOFF), config.get(BLOB_RETRY_MAX_BACKOFF));
  }

  /** Limits from {@code config}. */
  public static DecodeLimits limitsFrom(ReadableConfig config) {
    return DecodeLimits.builder()
        .maxPayloadBytes((int) Math.min(Integer.MAX_VALUE, config.get(MAX_PAYLOAD).getBytes()))
        .maxDurationUs(config.get(MAX_DURATION).toNanos() / 1000)
        .maxVideoFrames(config.get(MAX_VIDEO_FRAMES))
        .maxResolution(config.get(MAX_WIDTH), config.get(MAX_HEIGHT))
        .maxDecodeMillis(config.get(MAX_DECODE_TIME).toMillis())
        .decoderThreads(config.get(DECODER_THREADS))
        .build();
  }
}
