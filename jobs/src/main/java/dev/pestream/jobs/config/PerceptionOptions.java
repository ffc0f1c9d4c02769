package dev.pestream.jobs.config;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Every setting of the perception job, with its default and meaning. The YAML file uses the same
 * keys (nested maps are flattened with dots); command-line overrides take precedence. Model runtime
 * settings ({@code models.*}) are documented by {@code RuntimeOptions} in the models module and
 * Kafka connection settings by {@code KafkaOptions}, decoding and ordering by {@code DecodeOptions}
 * and {@code SequencerOptions}; standard Kafka client settings go under
 * {@code kafka.client.*} (e.g. {@code kafka.client.security.protocol}).
 */
public final class PerceptionOptions {
  private PerceptionOptions() {}

  // --- topics -------------------------------------------------------------------------------
  public static final ConfigOption<String> TOPIC_CHUNKS = topic("chunks", "media.chunks", "Input MediaChunk records.");
  public static final ConfigOption<String> TOPIC_EMBEDDINGS = topic("embeddings", "embeddings", "Output Embedding records (exactly-once).");
  public static final ConfigOption<String> TOPIC_SPANS = topic("spans", "spans", "Output EventSpan records (exactly-once).");
  public static final ConfigOption<String> TOPIC_ALERTS = topic("alerts", "alerts", "Output Alert records (at-least-once, deterministic ids).");
  public static final ConfigOption<String> TOPIC_TAGS = topic("tags", "tags", "Output TagEvent records (exactly-once).");
  public static final ConfigOption<String> TOPIC_CAPTIONS = topic("captions", "captions", "Output Caption records (exactly-once).");
  public static final ConfigOption<String> TOPIC_DEAD_LETTERS = topic("dead-letters", "dead-letters", "DeadLetter records from every stage.");
  public static final ConfigOption<String> TOPIC_ALERT_RULES = topic("alert-rules", "control.alert-rules", "Compacted control topic of AlertRule records.");
  public static final ConfigOption<String> TOPIC_TAG_VOCABULARIES = topic("tag-vocabularies", "control.tag-vocabularies", "Compacted control topic of TagVocabulary records.");

  public static final ConfigOption<String> GROUP_ID =
      ConfigOptions.key("job.group-id").stringType().defaultValue("pestream-perception")
          .withDescription("Kafka consumer group of the job's sources (offsets live in checkpoints; the group is for monitoring lag).");
  public static final ConfigOption<Boolean> BOUNDED =
      ConfigOptions.key("job.bounded").booleanType().defaultValue(false)
          .withDescription("Stop at the input offsets that are latest when the job starts (demo, backfill); otherwise run forever.");
  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("job.checkpoint-interval").durationType().defaultValue(Duration.ofSeconds(10))
          .withDescription("Checkpoint interval. Exactly-once outputs become visible to read_committed consumers at each"
              + " checkpoint. Applied when set or when Flink's own settings do not enable checkpointing.");
  public static final ConfigOption<Integer> PARALLELISM =
      ConfigOptions.key("job.parallelism").intType().noDefaultValue()
          .withDescription("Parallelism of every operator (streams are spread by stream id). Unset: Flink's"
              + " parallelism.default decides, i.e. the cluster's / Kubernetes operator's setting, or"
              + " flink.parallelism.default; a local run without it uses one slot per CPU core of the machine.");

  public static final ConfigOption<Integer> MAX_PARALLELISM =
      ConfigOptions.key("job.max-parallelism").intType().defaultValue(128)
          .withDescription("Maximum parallelism: the number of key groups the keyed state (sequencer, frame"
              + " features, windows, spans, tags, captions in flight) is split into, and so the highest"
              + " parallelism a savepoint can be restored at. It is part of the job's state: keep it the same"
              + " across restores (a savepoint cannot be restored with another value). 128 is what Flink derives"
              + " for parallelism up to 85; set it higher before the first run if the job may ever need more"
              + " subtasks than that.");

  // --- windows ------------------------------------------------------------------------------
  public static final ConfigOption<Duration> WINDOW_LENGTH =
      ConfigOptions.key("window.length").durationType().defaultValue(Duration.ofSeconds(10))
          .withDescription("Embedding window length W on the stream clock (a multiple of 40 ms).");
  public static final ConfigOption<Duration> WINDOW_HOP =
      ConfigOptions.key("window.hop").durationType().defaultValue(Duration.ofSeconds(2))
          .withDescription("Embedding window hop H (a multiple of 40 ms, at most W).");
  public static final ConfigOption<Duration> IDLE_TIMEOUT =
      ConfigOptions.key("window.idle-timeout").durationType().defaultValue(Duration.ofSeconds(30))
          .withDescription("A stream that sends nothing for this long (processing time) has its open windows and spans closed; 0 disables.");
  public static final ConfigOption<List<String>> EMBEDDING_MODALITIES =
      ConfigOptions.key("embeddings.modalities").stringType().asList().defaultValues("audio", "video", "audio_video")
          .withDescription("Which window embeddings to emit: any of audio, video, audio_video (those the bundle has graphs for).");

  // --- spans and alerts ---------------------------------------------------------------------
  public static final ConfigOption<List<String>> PROMPTS =
      ConfigOptions.key("spans.prompts").stringType().asList().defaultValues()
          .withDescription("Text prompts scored by PE-A-Frame on every stream, besides those of alert rules; 'id=text' or just text.");
  public static final ConfigOption<Float> SPAN_THRESHOLD =
      ConfigOptions.key("spans.threshold").floatType().noDefaultValue()
          .withDescription("Probability threshold of configured prompts (default: the bundle's, 0.3 for PE-A-Frame). Rule prompts use the rule's threshold.");
  public static final ConfigOption<Float> SPAN_OFF_THRESHOLD =
      ConfigOptions.key("spans.off-threshold").floatType().noDefaultValue()
          .withDescription("Hysteresis: a span stays open while the probability is above this (default: equal to the threshold, the reference rule).");
  public static final ConfigOption<Duration> SPAN_MIN_DURATION =
      ConfigOptions.key("spans.min-duration").durationType().defaultValue(Duration.ofMillis(40))
          .withDescription("Spans shorter than this are dropped (40 ms = one frame = the reference rule).");
  public static final ConfigOption<Duration> SPAN_MERGE_GAP =
      ConfigOptions.key("spans.merge-gap").durationType().defaultValue(Duration.ZERO)
          .withDescription("Runs separated by at most this much below the threshold merge into one span (0 = the reference rule).");
  public static final ConfigOption<Duration> SPAN_CONTEXT =
      ConfigOptions.key("spans.context").durationType().defaultValue(Duration.ofSeconds(4))
          .withDescription("Audio before each chunk that PE-A-Frame sees as context when scoring the chunk's frames.");
  public static final ConfigOption<String> RULES_FILE =
      ConfigOptions.key("rules.file").stringType().noDefaultValue()
          .withDescription("Optional YAML/JSON file of alert rules written to the rules topic at start-up (the topic stays the source of truth).");
  public static final ConfigOption<String> TAGS_FILE =
      ConfigOptions.key("tags.file").stringType().noDefaultValue()
          .withDescription("Optional YAML/JSON file of tag vocabularies written to the vocabulary topic at start-up.");

  // --- models -------------------------------------------------------------------------------
  public static final ConfigOption<String> BUNDLE_DIR =
      ConfigOptions.key("bundle.dir").stringType().noDefaultValue()
          .withDescription("Folder of the model bundle (manifest.json + ONNX graphs + tokenizer.json). Default: the contract bundle shipped in models/bundles/contract.");

  private static ConfigOption<String> topic(String name, String defaultTopic, String description) {
    return ConfigOptions.key("topics." + name).stringType().defaultValue(defaultTopic).withDescription(description);
  }
}
