package dev.pestream.connectors.kafka;

import java.time.Duration;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;

/** Kafka settings of the job's sources and sinks. */
public final class KafkaOptions {
  private KafkaOptions() {}

  public static final ConfigOption<String> BOOTSTRAP_SERVERS =
      ConfigOptions.key("kafka.bootstrap-servers")
          .stringType()
          .defaultValue("localhost:9092")
          .withDescription("Kafka bootstrap servers (host:port, comma separated).");

  public static final ConfigOption<Duration> TRANSACTION_TIMEOUT =
      ConfigOptions.key("kafka.transaction-timeout")
          .durationType()
          // 5 min, not 1: a transaction pre-committed at a checkpoint must outlive a broker
          // outage (60 s in the reliability tests) plus the restart, or the broker aborts it and
          // its records are lost
          .defaultValue(Duration.ofMinutes(5))
          .withDescription(
              "transaction.timeout.ms of exactly-once sinks. Must not exceed the broker's"
                  + " transaction.max.timeout.ms (15 min by default) and must exceed the"
                  + " checkpoint interval plus the longest broker outage to ride out plus the"
                  + " time to recover from a failure.");

  public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX =
      ConfigOptions.key("kafka.transactional-id-prefix")
          .stringType()
          .defaultValue("pestream")
          .withDescription(
              "Prefix of the transactional ids of exactly-once sinks; unique per job deployment"
                  + " (two jobs sharing a prefix fence each other).");

  public static final ConfigOption<MemorySize> MAX_RECORD_SIZE =
      ConfigOptions.key("kafka.max-record-size")
          .memoryType()
          .defaultValue(MemorySize.ofMebiBytes(16))
          .withDescription(
              "Largest record value the job parses on any input topic (chunks, alert rules, tag vocabularies);"
                  + " a larger one is dead-lettered as TOO_LARGE. Media bigger than this belongs in the"
                  + " claim-check blob store.");

  /** {@link #MAX_RECORD_SIZE} in bytes, as the codecs take it. */
  public static int maxRecordBytes(ReadableConfig config) {
    return (int) Math.min(Integer.MAX_VALUE, config.get(MAX_RECORD_SIZE).getBytes());
  }
}
