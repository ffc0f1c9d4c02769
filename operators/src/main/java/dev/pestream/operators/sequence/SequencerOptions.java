package dev.pestream.operators.sequence;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

/** Configuration of {@link ChunkSequencer} (Flink options, settable in the job's configuration). */
public final class SequencerOptions {
  public static final ConfigOption<Integer> MAX_BUFFERED_CHUNKS =
      ConfigOptions.key("sequencer.max-buffered-chunks")
          .intType()
          .defaultValue(16)
          .withDescription(
              "Most out-of-order chunks held per stream while waiting for a missing sequence number. When"
                  + " exceeded, the missing chunks are declared lost and the oldest buffered chunk is emitted"
                  + " with a gap mark.");

  public static final ConfigOption<Duration> MAX_WAIT =
      ConfigOptions.key("sequencer.max-wait")
          .durationType()
          .defaultValue(Duration.ofSeconds(2))
          .withDescription(
              "Longest (processing) time a missing chunk is waited for once a later chunk of its stream has"
                  + " arrived; then it is declared lost. 0 disables the time bound (count bound only).");

  public static final ConfigOption<Duration> CLOCK_TOLERANCE =
      ConfigOptions.key("sequencer.clock-tolerance")
          .durationType()
          .defaultValue(Duration.ofMillis(100))
          .withDescription(
              "A chunk whose start differs from the previous chunk's end by more than this is a clock"
                  + " discontinuity: it is marked, so that windows do not splice across it.");

  private SequencerOptions() {}

  /** A sequencer configured from {@code config}. */
  public static ChunkSequencer sequencerFrom(ReadableConfig config) {
    return new ChunkSequencer(
        config.get(MAX_BUFFERED_CHUNKS), config.get(MAX_WAIT).toMillis(), config.get(CLOCK_TOLERANCE).toNanos() / 1000);
  }
}
