package dev.pestream.operators.sequence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pestream.connectors.flink.RecordTypeInfo;
import dev.pestream.schemas.MediaChunk;
import dev.pestream.schemas.MediaKind;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChunkSequencerTest {
  private static final long CHUNK_US = 1_000_000;

  private InterceptingOperatorMetricGroup metrics;
  private KeyedOneInputStreamOperatorTestHarness<String, MediaChunk, MediaChunk> harness;

  @BeforeEach
  void open() throws Exception {
    harness = harness(new ChunkSequencer(3, 2000, 100_000));
    harness.open();
  }

  @AfterEach
  void close() throws Exception {
    harness.close();
  }

  private KeyedOneInputStreamOperatorTestHarness<String, MediaChunk, MediaChunk> harness(ChunkSequencer sequencer)
      throws Exception {
    metrics = new InterceptingOperatorMetricGroup();
    InterceptingOperatorMetricGroup operatorMetrics = metrics;
    MockEnvironment environment =
        new MockEnvironmentBuilder()
            .setMetricGroup(
                new InterceptingTaskMetricGroup() {
                  @Override
                  public InternalOperatorMetricGroup getOrAddOperator(
                      OperatorID id, String name, java.util.Map<String, String> additionalVariables) {
                    return operatorMetrics;
                  }
                })
            .build();
    var h =
        new KeyedOneInputStreamOperatorTestHarness<>(
            new KeyedProcessOperator<>(sequencer), MediaChunk::getStreamId, Types.STRING, environment);
    h.setup(RecordTypeInfo.forRecord(MediaChunk.class).createSerializer(h.getExecutionConfig().getSerializerConfig()));
    return h;
  }

  static MediaChunk chunk(String stream, long seq) {
    return chunk(stream, seq, seq * CHUNK_US);
  }

  static MediaChunk chunk(String stream, long seq, long startUs) {
    return MediaChunk.newBuilder()
        .setStreamId(stream)
        .setSeq(seq)
        .setKind(MediaKind.AUDIO)
        .setContainer("flac")
        .setStartUs(startUs)
        .setDurationUs(CHUNK_US)
        .setIngestTimeMs(Instant.ofEpochMilli(1000 + seq))
        .setPayload(ByteBuffer.wrap(new byte[] {(byte) seq}))
        .build();
  }

  private void push(MediaChunk... chunks) throws Exception {
    for (MediaChunk c : chunks) {
      harness.processElement(c, 0);
    }
  }

  private List<Long> seqs() {
    return harness.extractOutputValues().stream().map(MediaChunk::getSeq).toList();
  }

  private List<Long> markedSeqs() {
    return harness.extractOutputValues().stream().filter(MediaChunk::getDiscontinuity).map(MediaChunk::getSeq).toList();
  }

  private long counter(String name) {
    return ((Counter) metrics.get(name)).getCount();
  }

  @Test
  void inOrderChunksPassStraightThrough() throws Exception {
    push(chunk("a", 0), chunk("a", 1), chunk("a", 2));
    assertThat(seqs()).containsExactly(0L, 1L, 2L);
    assertThat(markedSeqs()).isEmpty();
    assertThat(harness.numProcessingTimeTimers()).isZero();
    assertThat(counter(ChunkSequencer.METRIC_CHUNKS_EMITTED)).isEqualTo(3);
    assertThat(counter(ChunkSequencer.METRIC_GAPS)).isZero();
  }

  @Test
  void reordersWithinTheBuffer() throws Exception {
    push(chunk("a", 0), chunk("a", 2), chunk("a", 3));
    assertThat(seqs()).containsExactly(0L);
    assertThat(harness.numProcessingTimeTimers()).as("a timer bounds the wait for chunk 1").isEqualTo(1);
    assertThat(harness.numKeyedStateEntries()).as("nextSeq, lastEndUs, pending map, count, timer").isEqualTo(5);

    push(chunk("a", 1));
    assertThat(seqs()).containsExactly(0L, 1L, 2L, 3L);
    assertThat(markedSeqs()).isEmpty();
    assertThat(harness.numProcessingTimeTimers()).isZero();
    assertThat(harness.numKeyedStateEntries()).as("only nextSeq and lastEndUs remain").isEqualTo(2);
    assertThat(counter(ChunkSequencer.METRIC_CHUNKS_REORDERED)).isEqualTo(2);
  }

  @Test
  void dropsDuplicatesSoReingestIsIdempotent() throws Exception {
    push(chunk("a", 0), chunk("a", 1), chunk("a", 1), chunk("a", 0), chunk("a", 3), chunk("a", 3), chunk("a", 2));
    assertThat(seqs()).containsExactly(0L, 1L, 2L, 3L);
    assertThat(counter(ChunkSequencer.METRIC_DUPLICATES_DROPPED)).isEqualTo(3);
    // Re-ingesting the whole stream again changes nothing.
    push(chunk("a", 0), chunk("a", 1), chunk("a", 2), chunk("a", 3));
    assertThat(seqs()).hasSize(4);
    assertThat(counter(ChunkSequencer.METRIC_DUPLICATES_DROPPED)).isEqualTo(7);
  }

  @Test
  void aFullBufferDeclaresTheMissingChunkLost() throws Exception {
    push(chunk("a", 0), chunk("a", 2), chunk("a", 3), chunk("a", 4));
    assertThat(seqs()).containsExactly(0L);
    push(chunk("a", 5)); // a fourth buffered chunk exceeds the bound of 3
    assertThat(seqs()).containsExactly(0L, 2L, 3L, 4L, 5L);
    assertThat(markedSeqs()).containsExactly(2L);
    MediaChunk afterGap = harness.extractOutputValues().get(1);
    assertThat(afterGap.getAttributes()).containsEntry(ChunkSequencer.GAP_ATTRIBUTE, "missing chunk 1");
    assertThat(counter(ChunkSequencer.METRIC_GAPS)).isEqualTo(1);
    assertThat(counter(ChunkSequencer.METRIC_MISSING_CHUNKS)).isEqualTo(1);
    assertThat(harness.numProcessingTimeTimers()).isZero();

    push(chunk("a", 1)); // too late now
    assertThat(seqs()).hasSize(5);
    assertThat(counter(ChunkSequencer.METRIC_DUPLICATES_DROPPED)).isEqualTo(1);
  }

  @Test
  void theTimerDeclaresMissingChunksLostAfterMaxWait() throws Exception {
    harness.setProcessingTime(10_000);
    push(chunk("a", 0), chunk("a", 3), chunk("a", 5));
    assertThat(seqs()).containsExactly(0L);
    harness.setProcessingTime(11_999);
    assertThat(seqs()).containsExactly(0L);

    harness.setProcessingTime(12_000);
    assertThat(seqs()).containsExactly(0L, 3L);
    assertThat(markedSeqs()).containsExactly(3L);
    assertThat(harness.extractOutputValues().get(1).getAttributes())
        .containsEntry(ChunkSequencer.GAP_ATTRIBUTE, "missing chunks 1..2");
    assertThat(harness.numProcessingTimeTimers()).as("chunk 5 still waits for 4").isEqualTo(1);

    harness.setProcessingTime(14_000);
    assertThat(seqs()).containsExactly(0L, 3L, 5L);
    assertThat(markedSeqs()).containsExactly(3L, 5L);
    assertThat(counter(ChunkSequencer.METRIC_MISSING_CHUNKS)).isEqualTo(3);
    assertThat(counter(ChunkSequencer.METRIC_GAPS)).isEqualTo(2);
    assertThat(harness.numProcessingTimeTimers()).isZero();
  }

  @Test
  void marksClockJumpsAndSourceDiscontinuities() throws Exception {
    MediaChunk flagged = chunk("a", 2);
    flagged.setDiscontinuity(true);
    push(chunk("a", 0), chunk("a", 1, 1_050_000), flagged, chunk("a", 3, 7_000_000), chunk("a", 4, 8_000_000));
    assertThat(seqs()).containsExactly(0L, 1L, 2L, 3L, 4L);
    // 1 starts 50 ms late (within tolerance); 2 was flagged by the source; 3 jumps by 4 s.
    assertThat(markedSeqs()).containsExactly(2L, 3L);
    assertThat(harness.extractOutputValues().get(2).getAttributes())
        .containsEntry(ChunkSequencer.GAP_ATTRIBUTE, "source discontinuity");
    assertThat(harness.extractOutputValues().get(3).getAttributes().get(ChunkSequencer.GAP_ATTRIBUTE))
        .startsWith("clock jump");
    assertThat(counter(ChunkSequencer.METRIC_GAPS)).isEqualTo(2);
  }

  @Test
  void streamsAreIndependentAndMayStartAnywhere() throws Exception {
    harness.setProcessingTime(0);
    push(chunk("b", 41), chunk("a", 0), chunk("b", 40), chunk("a", 1));
    // Stream b starts mid-stream: it waits within the bound for lower numbers, then starts at 40.
    assertThat(seqs()).containsExactly(0L, 1L);
    harness.setProcessingTime(2000);
    assertThat(harness.extractOutputValues().stream().map(c -> c.getStreamId() + c.getSeq()).toList())
        .containsExactly("a0", "a1", "b40", "b41");
    assertThat(markedSeqs()).as("nothing was missed that the job ever saw").isEmpty();
  }

  @Test
  void bufferedChunksSurviveACheckpointRestore() throws Exception {
    harness.setProcessingTime(0);
    push(chunk("a", 0), chunk("a", 2));
    OperatorSubtaskState snapshot = harness.snapshot(1, 1);
    harness.close();

    harness = harness(new ChunkSequencer(3, 2000, 100_000));
    harness.initializeState(snapshot);
    harness.open();
    assertThat(harness.numProcessingTimeTimers()).as("the wait timer is restored").isEqualTo(1);
    push(chunk("a", 1));
    assertThat(seqs()).containsExactly(1L, 2L);
    assertThat(markedSeqs()).isEmpty();
    push(chunk("a", 0), chunk("a", 2));
    assertThat(seqs()).hasSize(2);
  }

  @Test
  void readsItsOptionsFromFlinkConfiguration() throws Exception {
    Configuration config = new Configuration();
    config.set(SequencerOptions.MAX_BUFFERED_CHUNKS, 1);
    harness.close();
    harness = harness(SequencerOptions.sequencerFrom(config));
    harness.open();
    push(chunk("a", 0), chunk("a", 2), chunk("a", 3));
    assertThat(seqs()).containsExactly(0L, 2L, 3L);
    assertThat(markedSeqs()).containsExactly(2L);
  }
}
