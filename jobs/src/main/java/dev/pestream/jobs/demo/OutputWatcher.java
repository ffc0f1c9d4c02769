package dev.pestream.jobs.demo;

import dev.pestream.connectors.registry.RecordFormat;
import dev.pestream.connectors.registry.WireCodec;
import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Caption;
import dev.pestream.schemas.CaptionStatus;
import dev.pestream.schemas.DeadLetter;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.TagAction;
import dev.pestream.schemas.TagEvent;
import dev.pestream.schemas.codec.RecordDecodingException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows the job's output topics as a read_committed consumer, prints a readable line for each
 * event as it becomes visible (spans, alerts, tag changes, captions, dead letters), keeps every
 * record for the report, and summarises per stream at the end.
 */
public final class OutputWatcher implements AutoCloseable {
  /** The output topics by role, in report order. */
  public record Topics(String embeddings, String spans, String alerts, String tags, String captions, String deadLetters) {
    public Map<String, String> byRole() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("embeddings", embeddings);
      m.put("spans", spans);
      m.put("alerts", alerts);
      m.put("tags", tags);
      m.put("captions", captions);
      m.put("dead-letters", deadLetters);
      return m;
    }
  }

  private final Map<String, WireCodec<? extends SpecificRecordBase>> codecs;

  private final Topics topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, String> roleOfTopic = new LinkedHashMap<>();
  private final Map<String, List<SpecificRecordBase>> records = new LinkedHashMap<>();
  private final Map<String, StreamSummary> streams = new TreeMap<>();
  private final PrintStream out;
  private long lastArrivalNanos = System.nanoTime();

  public OutputWatcher(String bootstrapServers, Properties clientProperties, Topics topics, PrintStream out) {
    this(bootstrapServers, clientProperties, topics, out, RecordFormat.singleObject());
  }

  /** Reads either wire format; {@code format}'s registry resolves registry-format records. */
  public OutputWatcher(String bootstrapServers, Properties clientProperties, Topics topics, PrintStream out,
      RecordFormat format) {
    this.codecs = Map.of(
        "embeddings", format.codec(Embedding.class),
        "spans", format.codec(EventSpan.class),
        "alerts", format.codec(Alert.class),
        "tags", format.codec(TagEvent.class),
        "captions", format.codec(Caption.class),
        "dead-letters", format.codec(DeadLetter.class));
    this.topics = topics;
    this.out = out;
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 << 20));
    p.putAll(clientProperties);
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    topics.byRole().forEach((role, topic) -> {
      roleOfTopic.put(topic, role);
      records.put(role, new ArrayList<>());
      consumer.partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
    });
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Reads what became visible within {@code timeout}, printing events; returns how many records came. */
  public int poll(Duration timeout) {
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
      String role = roleOfTopic.get(r.topic());
      try {
        SpecificRecordBase record = codecs.get(role).decode(r.value());
        records.get(role).add(record);
        describe(role, record);
        n++;
      } catch (RecordDecodingException e) {
        out.println("  ! unreadable record on " + r.topic() + ": " + e.getMessage());
      }
    }
    if (n > 0) {
      lastArrivalNanos = System.nanoTime();
    }
    return n;
  }

  /** Keeps polling until nothing new arrived for {@code quiet}. */
  public void drain(Duration quiet) {
    while (System.nanoTime() - lastArrivalNanos < quiet.toNanos()) {
      poll(Duration.ofMillis(200));
    }
  }

  /** Every record read so far, by topic role. */
  public Map<String, List<SpecificRecordBase>> records() {
    return records;
  }

  public Topics topics() {
    return topics;
  }

  /** A table per stream of what the job produced. */
  public void printSummary() {
    out.println();
    out.println("Summary per stream");
    for (Map.Entry<String, StreamSummary> e : streams.entrySet()) {
      StreamSummary s = e.getValue();
      out.printf(Locale.ROOT, "  %-20s embeddings: %d audio, %d video, %d audio-video | spans: %d | alerts: %d"
              + " | tag changes: %d (now: %s) | captions: %d%n",
          e.getKey(), s.audio, s.video, s.audioVideo, s.spans, s.alerts, s.tagChanges,
          s.activeTags.isEmpty() ? "-" : String.join(", ", s.activeTags), s.captions);
    }
    int dead = records.get("dead-letters").size();
    out.println("  dead letters: " + dead);
  }

  private void describe(String role, SpecificRecordBase record) {
    switch (role) {
      case "embeddings" -> {
        Embedding e = (Embedding) record;
        StreamSummary s = stream(e.getStreamId());
        switch (e.getModality()) {
          case AUDIO -> s.audio++;
          case VIDEO -> s.video++;
          case AUDIO_VIDEO -> s.audioVideo++;
        }
      }
      case "spans" -> {
        EventSpan span = (EventSpan) record;
        if (span.getState() == SpanState.CLOSED) {
          stream(span.getStreamId()).spans++;
          out.printf(Locale.ROOT, "  [%s] span   %s \"%s\" %s - %s s (peak %.2f, mean %.2f)%n", span.getStreamId(),
              span.getPromptId(), span.getPromptText(), seconds(span.getStartUs()), seconds(span.getEndUs()),
              span.getPeakScore(), span.getMeanScore());
        } else {
          out.printf(Locale.ROOT, "  [%s] span   %s \"%s\" opened at %s s (score %.2f)%n", span.getStreamId(),
              span.getPromptId(), span.getPromptText(), seconds(span.getStartUs()), span.getPeakScore());
        }
      }
      case "alerts" -> {
        Alert a = (Alert) record;
        stream(a.getStreamId()).alerts++;
        out.printf(Locale.ROOT, "  [%s] ALERT  rule %s \"%s\" at %s s (score %.2f >= %.2f), raised %d ms after the chunk's ingest%n",
            a.getStreamId(), a.getRuleId(), a.getPrompt(), seconds(a.getSpanStartUs()), a.getScore(),
            a.getThreshold(), a.getFiredAtMs().toEpochMilli() - a.getChunkIngestTimeMs().toEpochMilli());
      }
      case "tags" -> {
        TagEvent t = (TagEvent) record;
        StreamSummary s = stream(t.getStreamId());
        s.tagChanges++;
        if (t.getAction() == TagAction.ADDED) {
          s.activeTags.add(t.getTag());
        } else {
          s.activeTags.remove(t.getTag());
        }
        out.printf(Locale.ROOT, "  [%s] tag    %s %s in window %s - %s s (score %.2f)%n", t.getStreamId(),
            t.getAction() == TagAction.ADDED ? "+" : "-", t.getTag(), seconds(t.getWindowStartUs()),
            seconds(t.getWindowEndUs()), t.getScore());
      }
      case "captions" -> {
        Caption c = (Caption) record;
        stream(c.getStreamId()).captions++;
        out.printf(Locale.ROOT, "  [%s] caption %s - %s s: %s%n", c.getStreamId(), seconds(c.getWindowStartUs()),
            seconds(c.getWindowEndUs()), c.getStatus() == CaptionStatus.OK ? c.getText() : "(failed: " + c.getError() + ")");
      }
      case "dead-letters" -> {
        DeadLetter d = (DeadLetter) record;
        out.printf(Locale.ROOT, "  [%s] dead letter at %s: %s%n", d.getStreamId() == null ? "-" : d.getStreamId(),
            d.getStage(), d.getReason());
      }
      default -> throw new IllegalStateException(role);
    }
  }

  private StreamSummary stream(String id) {
    return streams.computeIfAbsent(id, k -> new StreamSummary());
  }

  private static String seconds(Long us) {
    return us == null ? "?" : String.format(Locale.ROOT, "%.2f", us / 1e6);
  }

  @Override
  public void close() {
    consumer.close();
  }

  private static final class StreamSummary {
    int audio;
    int video;
    int audioVideo;
    int spans;
    int alerts;
    int tagChanges;
    int captions;
    final TreeSet<String> activeTags = new TreeSet<>();
  }
}
