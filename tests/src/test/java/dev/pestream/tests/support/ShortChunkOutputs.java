package dev.pestream.tests.support;

import dev.pestream.testing.kafka.KafkaTestClient;

import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.tests.support.ShortChunkStreams.Plan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * What the perception job wrote for {@link ShortChunkStreams}, read back with read_committed
 * consumers, and its tallies against the expected outputs. {@code captions} is empty when the
 * run had captions off.
 */
public record ShortChunkOutputs(List<Plan> plans, List<Embedding> embeddings, List<EventSpan> spans,
    List<TagEvent> tags, List<Caption> captions, List<Alert> alerts, boolean captionsOn) {
  private static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Reads every output topic of {@code topics} ({@code topics.*} settings). The embeddings come
   * last out of the job, so they get {@code timeout}; the other outputs are complete by then and
   * get {@code rest}.
   */
  public static ShortChunkOutputs read(KafkaTestClient kafka, Map<String, String> topics, List<Plan> plans,
      boolean captionsOn, Duration timeout, Duration rest) {
    List<Embedding> embeddings = read(kafka, topics.get("topics.embeddings"), Embedding.class,
        ShortChunkStreams.expectedEmbeddings(plans).size(), timeout);
    return new ShortChunkOutputs(plans, embeddings,
        read(kafka, topics.get("topics.spans"), EventSpan.class, ShortChunkStreams.expectedSpans(plans).size(), rest),
        read(kafka, topics.get("topics.tags"), TagEvent.class, ShortChunkStreams.expectedTags(plans).size(), rest),
        captionsOn ? read(kafka, topics.get("topics.captions"), Caption.class,
            ShortChunkStreams.expectedCaptions(plans).size(), rest) : List.of(),
        read(kafka, topics.get("topics.alerts"), Alert.class, ShortChunkStreams.expectedAlerts(plans).size(), rest),
        captionsOn);
  }

  /**
   * What the job has committed to the output topics by now, without waiting for more: e.g. after
   * a stop with savepoint, to see what that run wrote.
   */
  public static ShortChunkOutputs readCommittedSoFar(KafkaTestClient kafka, Map<String, String> topics,
      List<Plan> plans, boolean captionsOn) {
    return new ShortChunkOutputs(plans, soFar(kafka, topics.get("topics.embeddings"), Embedding.class),
        soFar(kafka, topics.get("topics.spans"), EventSpan.class), soFar(kafka, topics.get("topics.tags"), TagEvent.class),
        captionsOn ? soFar(kafka, topics.get("topics.captions"), Caption.class) : List.of(),
        soFar(kafka, topics.get("topics.alerts"), Alert.class), captionsOn);
  }

  /** Tallies of the exactly-once outputs: embeddings, spans, tags and (when on) captions. */
  public List<OutputTally> exactlyOnceTallies() {
    List<OutputTally> tallies = new ArrayList<>();
    tallies.add(OutputTally.of("embeddings", ShortChunkStreams.expectedEmbeddings(plans), embeddings, OutputTally::key));
    tallies.add(OutputTally.of("spans", ShortChunkStreams.expectedSpans(plans), spans, OutputTally::key));
    tallies.add(OutputTally.of("tags", ShortChunkStreams.expectedTags(plans), tags, OutputTally::key));
    if (captionsOn) {
      tallies.add(OutputTally.of("captions", ShortChunkStreams.expectedCaptions(plans), captions, OutputTally::key));
    }
    return tallies;
  }

  /** Tally of the alerts (an at-least-once output: repeats allowed, each with its alert's id). */
  public OutputTally alertTally() {
    return OutputTally.of("alerts", ShortChunkStreams.expectedAlerts(plans), alerts, OutputTally::key);
  }

  private static <T extends SpecificRecordBase> List<T> soFar(KafkaTestClient kafka, String topic, Class<T> type) {
    return kafka.readCommittedRecordsSoFar(topic, RecordCodec.of(type), SNAPSHOT_TIMEOUT);
  }

  private static <T extends SpecificRecordBase> List<T> read(KafkaTestClient kafka, String topic, Class<T> type,
      int expected, Duration timeout) {
    return kafka.readCommittedRecords(topic, RecordCodec.of(type), expected, Duration.ofSeconds(2), timeout);
  }
}
