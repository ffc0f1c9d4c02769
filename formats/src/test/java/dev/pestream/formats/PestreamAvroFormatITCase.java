package dev.pestream.formats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.schemas.Alert;
import dev.pestream.schemas.Embedding;
import dev.pestream.schemas.EventSpan;
import dev.pestream.schemas.Modality;
import dev.pestream.schemas.SpanState;
import dev.pestream.schemas.codec.RecordCodec;
import dev.pestream.testing.flink.FlinkMiniCluster;
import dev.pestream.testing.kafka.KafkaBrokerExtension;
import dev.pestream.testing.kafka.KafkaTestClient;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The pestream-avro format in Flink SQL on a real broker and a MiniCluster (parallelism 2): tables
 * over single-object encoded spans, embeddings and alerts answer queries that are checked against
 * the records written (columns by name, in another order and a subset; enums as STRING, arrays,
 * timestamps), and a record that is not single-object fails the query with the reason.
 */
@ExtendWith(KafkaBrokerExtension.class)
class PestreamAvroFormatITCase {
  @RegisterExtension static final MiniClusterExtension FLINK = FlinkMiniCluster.twoTaskManagers();

  @Test
  void flinkSqlReadsTheSingleObjectOutputTopics(KafkaTestClient kafka) throws Exception {
    Random random = new Random(7);
    List<EventSpan> spans = new ArrayList<>();
    for (String stream : List.of("cam-a", "cam-b", "cam-c")) {
      for (String prompt : List.of("beep", "dog barking")) {
        for (int i = 0; i < 1 + random.nextInt(4); i++) {
          spans.add(span(stream, prompt, i, SpanState.CLOSED));
        }
      }
    }
    spans.add(span("cam-a", "beep", 99, SpanState.OPEN));
    String spansTopic = kafka.newTopic("spans", 2);
    RecordCodec<EventSpan> spanCodec = RecordCodec.of(EventSpan.class);
    for (EventSpan span : spans) {
      kafka.send(spansTopic, span.getStreamId(), spanCodec.encode(span));
    }
    Embedding embedding = Embedding.newBuilder().setStreamId("cam-a").setWindowStartUs(0).setWindowEndUs(2_000_000)
        .setModality(Modality.AUDIO_VIDEO).setModelId("contract").setModelVersion("1").setDim(3)
        .setVector(List.of(0.25f, -1.5f, 3f)).setTruncated(false).setFrameCount(50).build();
    String embeddingsTopic = kafka.newTopic("embeddings", 1);
    kafka.send(embeddingsTopic, "cam-a", RecordCodec.of(Embedding.class).encode(embedding));
    Instant fired = Instant.parse("2026-12-06T09:30:00.123Z");
    Alert alert = Alert.newBuilder().setAlertId("r/cam-b/1").setRuleId("r").setStreamId("cam-b").setPrompt("beep")
        .setSpanId("s").setSpanStartUs(1).setScore(0.9f).setThreshold(0.5f).setChunkIngestTimeMs(fired)
        .setFiredAtMs(fired).setModelId("contract").build();
    String alertsTopic = kafka.newTopic("alerts", 1);
    kafka.send(alertsTopic, "cam-b", RecordCodec.of(Alert.class).encode(alert));

    TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inBatchMode());
    sql.getConfig().set("parallelism.default", "2");
    sql.executeSql("CREATE TABLE spans (streamId STRING, promptText STRING, state STRING, startUs BIGINT)"
        + with(kafka, spansTopic));
    sql.executeSql("CREATE TABLE embeddings (modality STRING, vector ARRAY<FLOAT>, streamId STRING)"
        + with(kafka, embeddingsTopic));
    sql.executeSql("CREATE TABLE alerts (alertId STRING, firedAtMs TIMESTAMP(3), score FLOAT)"
        + with(kafka, alertsTopic));

    Map<String, Long> perPromptPerStream = new HashMap<>();
    for (Row row : rows(sql, "SELECT promptText, streamId, COUNT(*) FROM spans WHERE state = 'CLOSED'"
        + " GROUP BY promptText, streamId")) {
      perPromptPerStream.put(row.getField(0) + "/" + row.getField(1), (Long) row.getField(2));
    }
    assertThat(perPromptPerStream).isEqualTo(spans.stream().filter(s -> s.getState() == SpanState.CLOSED)
        .collect(Collectors.groupingBy(s -> s.getPromptText() + "/" + s.getStreamId(), Collectors.counting())));

    assertThat(rows(sql, "SELECT streamId, modality, vector[2] FROM embeddings"))
        .containsExactly(Row.of("cam-a", "AUDIO_VIDEO", -1.5f));
    assertThat(rows(sql, "SELECT alertId, firedAtMs, score FROM alerts"))
        .containsExactly(Row.of("r/cam-b/1", LocalDateTime.ofInstant(fired, ZoneOffset.UTC), 0.9f));

    // a record that is not single-object fails the query, saying why
    kafka.send(alertsTopic, "junk", new byte[] {0, 0, 0, 0, 1, 2});
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> rows(sql, "SELECT alertId FROM alerts"))
        .hasStackTraceContaining("pestream-avro cannot read a record: not an Avro single-object record");
  }

  private static String with(KafkaTestClient kafka, String topic) {
    return " WITH ('connector' = 'kafka', 'topic' = '" + topic + "', 'properties.bootstrap.servers' = '"
        + kafka.bootstrapServers() + "', 'scan.startup.mode' = 'earliest-offset',"
        + " 'scan.bounded.mode' = 'latest-offset', 'format' = 'pestream-avro')";
  }

  private static List<Row> rows(TableEnvironment sql, String query) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (CloseableIterator<Row> it = sql.executeSql(query).collect()) {
      it.forEachRemaining(rows::add);
    }
    return rows;
  }

  private static EventSpan span(String stream, String prompt, int i, SpanState state) {
    return EventSpan.newBuilder().setSpanId(stream + "/" + prompt + "/" + i).setStreamId(stream)
        .setPromptId(prompt).setPromptText(prompt).setStartUs(i * 1_000_000L).setEndUs(i * 1_000_000L + 500_000)
        .setState(state).setPeakScore(0.9f).setMeanScore(0.7f).setThreshold(0.3f).setModelId("contract")
        .setModelVersion("1").build();
  }
}
