package dev.pestream.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

class CopyChunksJobTest {
  private static final String[] REQUIRED = {
      "--bootstrap-servers", "localhost:9092", "--input-topic", "in", "--output-topic", "out",
      "--dead-letter-topic", "dlq"};

  @Test
  void parsesArgumentsWithDefaults() {
    CopyChunksJob job = CopyChunksJob.parse(REQUIRED);
    assertThat(job.groupId).isEqualTo("pestream-copy-chunks");
    assertThat(job.checkpointInterval).isEqualTo(Duration.ofSeconds(10));
    assertThat(job.stampVersion).isNull();
    assertThat(job.bounded).isFalse();
    assertThat(job.jobName()).isEqualTo("copy-chunks in -> out");
  }

  @Test
  void parsesFlinkStyleDurationsAndOptionalArguments() {
    CopyChunksJob job = CopyChunksJob.parse(concat(REQUIRED,
        "--checkpoint-interval", "500ms", "--stamp-version", "v2", "--bounded", "--group-id", "g1"));
    assertThat(job.checkpointInterval).isEqualTo(Duration.ofMillis(500));
    assertThat(job.stampVersion).isEqualTo("v2");
    assertThat(job.bounded).isTrue();
    assertThat(job.groupId).isEqualTo("g1");
  }

  @Test
  void rejectsMissingAndInvalidArgumentsWithTheReason() {
    assertThatThrownBy(() -> CopyChunksJob.parse("--input-topic", "in"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--bootstrap-servers")
        .hasMessageContaining("Usage:");
    assertThatThrownBy(() -> CopyChunksJob.parse(concat(REQUIRED, "--checkpoint-interval", "0s")))
        .hasMessageContaining("must be positive");
    assertThatThrownBy(() -> CopyChunksJob.parse(
            "--bootstrap-servers", "b", "--input-topic", "t", "--output-topic", "t", "--dead-letter-topic", "d"))
        .hasMessageContaining("must differ");
    assertThatThrownBy(() -> CopyChunksJob.parse(concat(REQUIRED, "--stamp-version", " ")))
        .hasMessageContaining("must not be blank");
  }

  @Test
  void everyOperatorOfTheDataflowHasAFixedUidAndAName() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    CopyChunksJob.parse(REQUIRED).addTo(env);
    StreamGraph graph = env.getStreamGraph();

    assertThat(graph.getStreamNodes()).isNotEmpty().allSatisfy(node -> {
      assertThat(node.getTransformationUID()).as("uid of %s", node.getOperatorName()).isNotBlank();
      assertThat(node.getOperatorName()).isNotBlank();
    });
    assertThat(graph.getStreamNodes()).extracting(StreamNode::getTransformationUID)
        .contains(CopyChunksJob.SOURCE_UID, CopyChunksJob.PARSE_UID, CopyChunksJob.STAMP_UID)
        .anySatisfy(uid -> assertThat(uid).startsWith(CopyChunksJob.SINK_UID))
        .anySatisfy(uid -> assertThat(uid).startsWith(CopyChunksJob.DEAD_LETTER_SINK_UID));
    assertThat(graph.getCheckpointConfig().getCheckpointInterval()).isEqualTo(10_000L);
  }

  @Test
  void stampsTheVersionAndKeepsOtherAttributes() {
    MediaChunk stamped = new CopyChunksJob.StampVersion("v7").map(chunk(Map.of("origin", "cam-1")));
    assertThat(stamped.getAttributes())
        .containsEntry("origin", "cam-1")
        .containsEntry(CopyChunksJob.VERSION_ATTRIBUTE, "v7")
        .hasSize(2);

    MediaChunk untouched = new CopyChunksJob.StampVersion(null).map(chunk(Map.of("origin", "cam-1")));
    assertThat(untouched.getAttributes()).containsOnlyKeys("origin");
  }

  private static MediaChunk chunk(Map<String, String> attributes) {
    return MediaChunk.newBuilder().setStreamId("s").setSeq(0).setKind(MediaKind.AUDIO).setContainer("wav")
        .setStartUs(0).setDurationUs(1000).setIngestTimeMs(Instant.EPOCH)
        .setPayload(ByteBuffer.wrap(new byte[] {1})).setAttributes(attributes).build();
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
